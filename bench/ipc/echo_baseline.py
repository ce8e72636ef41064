"""The floor for any stdio protocol: echo length-prefixed frames from fd 3 to fd 4, stdlib only."""

import os
import struct

HEADER = struct.Struct(">I")
inp = os.fdopen(3, "rb", buffering=1 << 16)
os.set_blocking(4, True)
while True:
    head = inp.read(4)
    if len(head) < 4:
        break
    (n,) = HEADER.unpack(head)
    body = inp.read(n)
    os.writev(4, [head, body])
