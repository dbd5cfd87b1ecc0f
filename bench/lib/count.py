#!/usr/bin/env python3
"""Copies stdin to stdout and writes the number of bytes to the file named by the first argument."""
import sys

n = 0
src, dst = sys.stdin.buffer, sys.stdout.buffer
while True:
    block = src.read1(1 << 20)
    if not block:
        break
    n += len(block)
    dst.write(block)
dst.flush()
with open(sys.argv[1], "w") as f:
    f.write(f"{n}\n")
