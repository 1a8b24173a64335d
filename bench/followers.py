#!/usr/bin/env python3
"""Badge-to-relay latency while auditors follow the whole log: a release labdoord on a log of HISTORY events
(made directly with SQLite; the chain is not what is measured), FOLLOWERS clients streaming it from seq 0
(events.follow, after = 0) as fast as they can, and SAMPLES grants timed from the badge line on the FIFO to the
sim door's `relay=unlocked`. Prints p50/p99 in microseconds, and the same without followers, for comparison.

  BIN=.build/release HISTORY=100000 FOLLOWERS=4 SAMPLES=100 bench/followers.py
"""
import os, select, sqlite3, statistics, subprocess, sys, tempfile, threading, time, socket

BIN = os.environ.get("BIN") or sys.exit("set BIN to the directory with labdoord and labdoorctl")
HISTORY = int(os.environ.get("HISTORY", "100000"))
FOLLOWERS = int(os.environ.get("FOLLOWERS", "4"))
SAMPLES = int(os.environ.get("SAMPLES", "100"))

def measure(d, followers):
    config = os.path.join(d, "labdoor.toml")
    fifo, sock = os.path.join(d, "entry.fifo"), os.path.join(d, "control.sock")
    daemon = subprocess.Popen([f"{BIN}/labdoord", "--config", config], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, bufsize=0)
    stop = threading.Event()
    counts = [0] * followers
    try:
        for _ in range(400):
            if os.path.exists(sock) and os.path.exists(fifo):
                break
            time.sleep(0.05)
        def follow(i):
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock)
            s.sendall(b'{"v":2,"id":1,"cmd":"events.follow","args":{"after":0}}\n')
            while not stop.is_set():
                data = s.recv(1 << 20)
                if not data:
                    return
                counts[i] += data.count(b"\n")
        threads = [threading.Thread(target=follow, args=(i,), daemon=True) for i in range(followers)]
        for t in threads:
            t.start()
        while followers and min(counts) < 1000:
            time.sleep(0.01)
        out, writer, buffer = daemon.stdout.fileno(), os.open(fifo, os.O_WRONLY), b""
        def wait_for(text):
            nonlocal buffer
            while text not in buffer:
                if not select.select([out], [], [], 10)[0]:
                    sys.exit(f"followers: no {text!r} within 10 s")
                buffer += os.read(out, 65536)
            buffer = buffer[buffer.index(text) + len(text):]
        samples = []
        for _ in range(SAMPLES):
            start = time.monotonic_ns()
            os.write(writer, b"1000000003\n")
            wait_for(b"relay=unlocked reason=granted")
            samples.append((time.monotonic_ns() - start) / 1000)
            subprocess.run([f"{BIN}/labdoorctl", "--socket", sock, "door", "lock"], check=True,
                           stdout=subprocess.DEVNULL)
            wait_for(b"relay=locked")
        streamed = list(counts)
        samples.sort()
        return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))], streamed
    finally:
        stop.set()
        daemon.terminate()
        daemon.wait(timeout=30)

with tempfile.TemporaryDirectory(prefix="labdoor-followers-") as d:
    with open(os.path.join(d, "labdoor.toml"), "w") as f:
        f.write(f'[paths]\nstate_dir = "{d}/state"\nsocket = "{d}/control.sock"\n[door]\nbackend = "sim"\n'
                f'unlock_seconds = 60\n[[reader]]\nname = "entry"\nbackend = "fifo"\npath = "{d}/entry.fifo"\n'
                f'[clock]\ntrust = "always"\n')
    # The schema and keys from a first start, the staff badge, then the history.
    first = subprocess.Popen([f"{BIN}/labdoord", "--config", os.path.join(d, "labdoor.toml")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sock = os.path.join(d, "control.sock")
    for _ in range(400):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    for args in (["holder", "add", "--name", "Bench", "--profile", "staff"],
                 ["badge", "assign", "1000000003", "--holder", "1"]):
        subprocess.run([f"{BIN}/labdoorctl", "--socket", sock, *args], check=True, stdout=subprocess.DEVNULL)
    first.terminate()
    first.wait(timeout=30)
    db = sqlite3.connect(os.path.join(d, "state", "labdoor.db"))
    last = db.execute("SELECT MAX(seq) FROM event").fetchone()[0]
    db.execute("DROP TRIGGER IF EXISTS event_append_only")
    db.execute(f"""WITH RECURSIVE n(i) AS (SELECT {last + 1} UNION ALL SELECT i + 1 FROM n WHERE i < {last + HISTORY})
        INSERT INTO event (seq, time, kind, reader, badge, holder_id, outcome, reason, actor, details,
            clock_trusted, prev_hash, hash)
        SELECT i, '2026-01-01T00:00:00.000Z', 'badge_decision', 'entry', NULL, NULL, 'denied', 'unknown_badge',
            NULL, 'history ' || i, 1, printf('%064d', i - 1), printf('%064d', i) FROM n""")
    db.commit()
    db.close()
    quiet50, quiet99, _ = measure(d, 0)
    busy50, busy99, streamed = measure(d, FOLLOWERS)
    print(f"badge -> relay, log of {HISTORY} events: alone p50 {quiet50:.0f} us p99 {quiet99:.0f} us; "
          f"with {FOLLOWERS} followers from seq 0 p50 {busy50:.0f} us p99 {busy99:.0f} us "
          f"(they streamed {streamed} events meanwhile)")
    print(f'{{"decision_during_follow_p50_us": {busy50:.0f}, "decision_during_follow_p99_us": {busy99:.0f}}}')
