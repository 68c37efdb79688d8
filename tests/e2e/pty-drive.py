#!/usr/bin/env python3
"""pty-drive.py CMD...: runs CMD on a new pty (a user's terminal), types the
chunks of $SEND ('|'-separated, Python escapes: \\r, \\x10), 0.7 s apart,
and prints what CMD wrote, then "EXIT n" (its exit status).  $SIZE ("ROWS
COLS") is the terminal's size at the start; a chunk "@ROWS COLS" resizes it
(CMD gets SIGWINCH, as from a terminal window)."""
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time


def set_size(fd, spec):
    rows, cols = (int(x) for x in spec.split())
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


pid, fd = pty.fork()
if pid == 0:
    if os.environ.get("SIZE"):
        set_size(0, os.environ["SIZE"])
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""


def pump(seconds):
    global out
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                return False
            if not d:
                return False
            out += d
    return True


pump(0.5)
for chunk in os.environ.get("SEND", "").split("|"):
    if chunk.startswith("@"):
        set_size(fd, chunk[1:])
        pump(0.7)
        continue
    os.write(fd, chunk.encode().decode("unicode_escape").encode("latin-1"))
    if not pump(0.7):
        break
# CMD has 10 s to end once the typing is done; then it is killed
deadline = time.time() + 10
while True:
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    if time.time() > deadline:
        os.kill(pid, 9)
        _, st = os.waitpid(pid, 0)
        break
    pump(0.1)
sys.stdout.write(out.decode(errors="replace"))
sys.stdout.write("\nEXIT %d\n" % os.waitstatus_to_exitcode(st))
