//! Channel round trips inside one process: the parent's ports against a worker-like second node.

use std::mem::MaybeUninit;

use iceoryx2::prelude::*;
use iceoryx2::service::ipc_threadsafe;

use crate::channel::{self, Channel, ChannelConfig, RELEASES, SEQ_BYTES, sequence_of};
use crate::error::ChannelError;

const SETTINGS: ChannelConfig = ChannelConfig {
    samples: 8,
    initial_slice_len: 64,
};

struct Worker {
    _node: Node<ipc_threadsafe::Service>,
    subscriber: iceoryx2::port::subscriber::Subscriber<ipc_threadsafe::Service, [u8], ()>,
    publisher: iceoryx2::port::publisher::Publisher<ipc_threadsafe::Service, [u8], ()>,
}

/// Removes the channel's resources when a test ends, and checks nothing is left.
struct Resources(String, String);

impl Drop for Resources {
    fn drop(&mut self) {
        channel::remove_resources(&self.0, &self.1).unwrap();
        let left = std::fs::read_dir("/dev/shm")
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&self.0))
            .count();
        if !std::thread::panicking() {
            assert_eq!(left, 0);
            assert!(!std::path::Path::new(&self.1).exists());
        }
    }
}

fn unique(tag: &str) -> (String, String, String) {
    let id = format!("{}{}", std::process::id(), tag);
    let root = std::env::temp_dir().join(format!("rm-iox-test-{id}"));
    (
        format!("iox2_rmtest{id}_"),
        format!("{}/", root.display()),
        format!("remotemedia/test{id}"),
    )
}

fn worker(prefix: &str, root: &str, name: &str) -> Worker {
    let node = NodeBuilder::new()
        .config(&channel::config(prefix, root, SETTINGS.samples).unwrap())
        .create::<ipc_threadsafe::Service>()
        .unwrap();
    let open = |direction: &str| {
        node.service_builder(&ServiceName::new(&format!("{name}/{direction}")).unwrap())
            .publish_subscribe::<[u8]>()
            .enable_safe_overflow(false)
            .subscriber_max_buffer_size(2 * SETTINGS.samples)
            .subscriber_max_borrowed_samples(SETTINGS.samples)
            .history_size(0)
            .max_publishers(1)
            .max_subscribers(1)
            .max_nodes(2)
            .payload_alignment(Alignment::new(64).unwrap())
            .open()
            .unwrap()
    };
    let subscriber = open("req").subscriber_builder().create().unwrap();
    let publisher = open("rep")
        .publisher_builder()
        .initial_max_slice_len(64)
        .allocation_strategy(AllocationStrategy::PowerOfTwo)
        .create()
        .unwrap();
    Worker {
        _node: node,
        subscriber,
        publisher,
    }
}

fn reply(worker: &Worker, seq: u64, data: &[u8]) {
    let mut sample = worker
        .publisher
        .loan_slice_uninit(SEQ_BYTES + data.len())
        .unwrap();
    let payload: &mut [MaybeUninit<u8>] = sample.payload_mut();
    payload[..SEQ_BYTES].write_copy_of_slice(&seq.to_le_bytes());
    payload[SEQ_BYTES..].write_copy_of_slice(data);
    // SAFETY: the whole payload was written above.
    let sample = unsafe { sample.assume_init() };
    assert_eq!(sample.send().unwrap(), 1);
}

#[test]
fn payloads_cross_both_ways_and_grow_past_the_initial_slice() {
    let (prefix, root, name) = unique("a");
    let _resources = Resources(prefix.clone(), root.clone());
    let mut parent = Channel::open(&prefix, &root, &name, SETTINGS).unwrap();
    let worker = worker(&prefix, &root, &name);
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(parent.publish(b"small").unwrap(), Some(0));
    assert_eq!(parent.publish(&big).unwrap(), Some(1));
    let first = worker.subscriber.receive().unwrap().unwrap();
    assert_eq!(sequence_of(first.payload()), Some(0));
    assert_eq!(&first.payload()[SEQ_BYTES..], b"small");
    let second = worker.subscriber.receive().unwrap().unwrap();
    assert_eq!(&second.payload()[SEQ_BYTES..], &big[..]);
    reply(&worker, 0, &big);
    assert_eq!(&parent.take(0).unwrap().payload()[SEQ_BYTES..], &big[..]);
}

#[test]
fn take_drops_older_samples_and_fails_on_a_gap() {
    let (prefix, root, name) = unique("b");
    let _resources = Resources(prefix.clone(), root.clone());
    let parent = Channel::open(&prefix, &root, &name, SETTINGS).unwrap();
    let worker = worker(&prefix, &root, &name);
    reply(&worker, 0, b"abandoned");
    reply(&worker, 1, b"wanted");
    reply(&worker, 3, b"after a gap");
    assert_eq!(&parent.take(1).unwrap().payload()[SEQ_BYTES..], b"wanted");
    assert!(matches!(
        parent.take(2),
        Err(ChannelError::Missing { seq: 2 })
    ));
    assert!(matches!(
        parent.take(4),
        Err(ChannelError::Missing { seq: 4 })
    ));
}

#[test]
fn a_full_queue_is_an_error_naming_the_size_not_a_silent_loss() {
    let (prefix, root, name) = unique("c");
    let _resources = Resources(prefix.clone(), root.clone());
    let mut parent = Channel::open(&prefix, &root, &name, SETTINGS).unwrap();
    let worker = worker(&prefix, &root, &name);
    // More than the publisher's own samples: its segment grows for the ones the worker holds.
    for seq in 0..2 * SETTINGS.samples as u64 {
        assert_eq!(parent.publish(b"queued").unwrap(), Some(seq));
    }
    let err = parent.publish(&[0u8; 1000]).unwrap_err();
    assert!(err.to_string().contains("1000 bytes"), "{err}");
    // Once the worker takes one, the next payload goes through, with the next number.
    drop(worker.subscriber.receive().unwrap().unwrap());
    assert_eq!(
        parent.publish(b"again").unwrap(),
        Some(2 * SETTINGS.samples as u64)
    );
}

#[test]
fn a_loan_filled_in_place_is_sent_without_a_copy_and_shared_references_read_it_where_it_is() {
    let (prefix, root, name) = unique("d");
    let _resources = Resources(prefix.clone(), root.clone());
    let mut parent = Channel::open(&prefix, &root, &name, SETTINGS).unwrap();
    let worker = worker(&prefix, &root, &name);
    let mut loan = parent.loan(1000).unwrap().unwrap();
    let data = loan.data();
    assert_eq!(loan.len(), 1000);
    // SAFETY: the loan's 1000 payload bytes are this side's until it is sent.
    unsafe { std::ptr::write_bytes(data, 7, 1000) };
    assert_eq!(parent.send_loan(loan).unwrap(), 0);
    let received = worker.subscriber.receive().unwrap().unwrap();
    assert_eq!(sequence_of(received.payload()), Some(0));
    assert!(received.payload()[SEQ_BYTES..].iter().all(|&b| b == 7));
    // The worker answers with bytes 100.. of it: the parent finds them where it wrote them.
    let shared = parent.shared(0, 100, 900).unwrap();
    assert_eq!((shared.address, shared.len), (data as usize, 1000));
    assert!(matches!(
        parent.shared(0, 100, 901),
        Err(ChannelError::Outside { seq: 0, .. })
    ));
    assert!(matches!(
        parent.shared(1, 0, 1),
        Err(ChannelError::Missing { seq: 1 })
    ));
    // Views gone: the notice goes ahead of the next payload.
    parent.releases().lock().unwrap().extend([0, 0]);
    assert_eq!(parent.publish(b"next").unwrap(), Some(1));
    let notice = worker.subscriber.receive().unwrap().unwrap();
    let words: Vec<u64> = notice
        .payload()
        .chunks_exact(SEQ_BYTES)
        .map(|w| u64::from_le_bytes(w.try_into().unwrap()))
        .collect();
    assert_eq!(words, [RELEASES | 2, 0, 0]);
    let next = worker.subscriber.receive().unwrap().unwrap();
    assert_eq!(sequence_of(next.payload()), Some(1));
    assert!(parent.releases().lock().unwrap().is_empty());
}
