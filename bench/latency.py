#!/usr/bin/env python3
"""Badge-to-relay latency of a release labdoord (FIFO reader, simulated door).

For each sample: write a staff badge number to the reader's FIFO, time until the daemon prints
`door: relay=unlocked reason=granted` (the relay command; while the log is healthy the grant has been
committed — fsynced — before it), then lock the door again over the control socket. Prints p50/p99 in
microseconds. A measurement, never an assertion: see docs/performance.md for the figures and the machine.

  BIN=.build/release SAMPLES=300 bench/latency.py
"""
import os, select, statistics, subprocess, sys, tempfile, time

BIN = os.environ.get("BIN") or sys.exit("set BIN to the directory with labdoord and labdoorctl")
SAMPLES = int(os.environ.get("SAMPLES", "300"))

with tempfile.TemporaryDirectory(prefix="labdoor-latency-") as d:
    config = os.path.join(d, "labdoor.toml")
    fifo = os.path.join(d, "entry.fifo")
    sock = os.path.join(d, "control.sock")
    with open(config, "w") as f:
        f.write(f'[paths]\nstate_dir = "{d}/state"\nsocket = "{sock}"\n[door]\nbackend = "sim"\nunlock_seconds = 60\n'
                f'[[reader]]\nname = "entry"\nbackend = "fifo"\npath = "{fifo}"\n[clock]\ntrust = "always"\n')
    daemon = subprocess.Popen([f"{BIN}/labdoord", "--config", config], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, bufsize=0)
    def ctl(*args):
        subprocess.run([f"{BIN}/labdoorctl", "--socket", sock, *args], check=True, stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if os.path.exists(sock) and os.path.exists(fifo):
                break
            time.sleep(0.05)
        ctl("holder", "add", "--name", "Bench", "--profile", "staff")
        ctl("badge", "assign", "1000000003", "--holder", "1")
        out = daemon.stdout.fileno()
        writer = os.open(fifo, os.O_WRONLY)
        buffer = b""
        def wait_for(text, timeout=10):
            global buffer
            deadline = time.monotonic() + timeout
            while text not in buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([out], [], [], left)[0]:
                    sys.exit(f"latency: no {text!r} within {timeout} s")
                buffer += os.read(out, 65536)
            buffer = buffer[buffer.index(text) + len(text):]
        samples = []
        for _ in range(SAMPLES):
            start = time.monotonic_ns()
            os.write(writer, b"1000000003\n")
            wait_for(b"relay=unlocked reason=granted")
            samples.append((time.monotonic_ns() - start) / 1000)
            ctl("door", "lock")
            wait_for(b"relay=locked")
        samples.sort()
        p50 = statistics.median(samples)
        p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
        print(f"badge line in -> relay unlocked (grant committed first): p50 {p50:.0f} us, p99 {p99:.0f} us "
              f"over {SAMPLES} grants")
        print(f'{{"decision_p50_us": {p50:.0f}, "decision_p99_us": {p99:.0f}}}')
    finally:
        daemon.terminate()
        daemon.wait(timeout=20)
