"""The floor for a msgpack request/reply protocol: decode each frame's map from fd 3, answer its items on fd 4."""

import os
import struct

import msgpack

HEADER = struct.Struct(">I")
inp = os.fdopen(3, "rb", buffering=1 << 16)
os.set_blocking(4, True)
packer = msgpack.Packer(use_bin_type=True)
while True:
    head = inp.read(4)
    if len(head) < 4:
        break
    (n,) = HEADER.unpack(head)
    request = msgpack.unpackb(inp.read(n), raw=False)
    body = packer.pack({"op": "result", "seq": request["seq"], "outputs": request["items"]})
    os.write(4, HEADER.pack(len(body)) + body)
