import asyncio
import threading
from remotemedia import Node

class Split(Node):
    """A generator: one input, any number of outputs."""
    def process(self, text):
        for word in text.split():
            yield word

class Shout(Node):
    """async: awaited on the bridge's event loop."""
    async def process(self, word):
        await asyncio.sleep(0.01)
        return word.upper()

class Where(Node):
    """Sync: runs on one of the Python worker threads, always the same one for this node."""
    def initialize(self):
        self.threads = set()
    def process(self, word):
        self.threads.add(threading.current_thread().name)
        self.thread_list = sorted(self.threads)
        return None if word == "SKIP" else word
