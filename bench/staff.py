#!/usr/bin/env python3
"""Staff commands at commercial scale, measured from outside a release labdoord:

1. `registration import` of IMPORT_ROWS rows (IMPORT_ROWS/2 people, two registrations each; every person new):
   the wall time of the command, the badge-to-relay latency of grants sampled meanwhile, and the slowest
   `door lock` meanwhile (a request that met the import's one transaction on the decision loop waits for it).
2. `holder list` (every page, CSV) over HOLDERS holders (inserted with SQLite directly): its wall time, the
   badge-to-relay latency of grants sampled meanwhile, and the daemon's peak resident memory (VmHWM).

  BIN=.build/release IMPORT_ROWS=100000 HOLDERS=2000000 bench/staff.py
"""
import os, select, sqlite3, statistics, subprocess, sys, tempfile, threading, time

BIN = os.environ.get("BIN") or sys.exit("set BIN to the directory with labdoord and labdoorctl")
IMPORT_ROWS = int(os.environ.get("IMPORT_ROWS", "100000"))
HOLDERS = int(os.environ.get("HOLDERS", "2000000"))


def wait_for_socket(sock):
    for _ in range(600):
        if os.path.exists(sock):
            return
        time.sleep(0.05)
    sys.exit(f"no socket at {sock}")


def ctl(sock, *args, **kwargs):
    return subprocess.run([f"{BIN}/labdoorctl", "--socket", sock, *args], check=True, **kwargs)


class Daemon:
    def __init__(self, d):
        self.d = d
        self.sock, self.fifo = os.path.join(d, "control.sock"), os.path.join(d, "entry.fifo")
        self.process = subprocess.Popen([f"{BIN}/labdoord", "--config", os.path.join(d, "labdoor.toml")],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        wait_for_socket(self.sock)
        for _ in range(400):
            if os.path.exists(self.fifo):
                break
            time.sleep(0.05)
        self.out, self.buffer = self.process.stdout.fileno(), b""
        self.writer = os.open(self.fifo, os.O_WRONLY)
        self.lock_us = []  # `labdoorctl door lock` → `relay=locked`, process start included

    def wait_for(self, text, timeout=60):
        while text not in self.buffer:
            if not select.select([self.out], [], [], timeout)[0]:
                sys.exit(f"no {text!r} within {timeout} s")
            self.buffer += os.read(self.out, 65536)
        self.buffer = self.buffer[self.buffer.index(text) + len(text):]

    def grant(self):
        """One grant, badge line to relay line, in microseconds; the door is locked again afterwards."""
        start = time.monotonic_ns()
        os.write(self.writer, b"1000000003\n")
        self.wait_for(b"relay=unlocked reason=granted")
        took = (time.monotonic_ns() - start) / 1000
        start = time.monotonic_ns()
        ctl(self.sock, "door", "lock", stdout=subprocess.DEVNULL)
        self.wait_for(b"relay=locked")
        self.lock_us.append((time.monotonic_ns() - start) / 1000)
        return took

    def peak_rss_mib(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)


def during(daemon, command):
    """Runs `command` while sampling grants; returns (seconds, samples)."""
    samples, done = [], threading.Event()
    start = time.monotonic()
    worker = threading.Thread(target=lambda: (subprocess.run(command, check=True, stdout=subprocess.DEVNULL),
                                             done.set()))
    worker.start()
    while not done.is_set():
        samples.append(daemon.grant())
    worker.join()
    return time.monotonic() - start, samples


def summary(samples):
    samples = sorted(samples)
    return (statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))], samples[-1],
            len(samples))


with tempfile.TemporaryDirectory(prefix="labdoor-staff-") as d:
    with open(os.path.join(d, "labdoor.toml"), "w") as f:
        f.write(f'[paths]\nstate_dir = "{d}/state"\nsocket = "{d}/control.sock"\n[door]\nbackend = "sim"\n'
                f'unlock_seconds = 60\n[[reader]]\nname = "entry"\nbackend = "fifo"\npath = "{d}/entry.fifo"\n'
                f'[clock]\ntrust = "always"\n')
    daemon = Daemon(d)
    ctl(daemon.sock, "holder", "add", "--name", "Bench", "--profile", "staff", stdout=subprocess.DEVNULL)
    ctl(daemon.sock, "badge", "assign", "1000000003", "--holder", "1", stdout=subprocess.DEVNULL)
    quiet = summary([daemon.grant() for _ in range(50)])

    csv = os.path.join(d, "bookings.csv")
    with open(csv, "w", encoding="utf-8") as f:
        f.write("email,name,organisation,from,until\n")
        for i in range(IMPORT_ROWS):
            person = i // 2
            day = 4 + (i % 2) * 7
            f.write(f"person{person}@valtio.fi,Henkilö Äijälä {person},Virasto {person % 40},"
                    f"2027-01-{day:02d},2027-01-{day + 4:02d}\n")
    seconds, samples = during(daemon, [f"{BIN}/labdoorctl", "--socket", daemon.sock, "registration", "import", csv])
    imported = summary(samples)
    import_lock_max = max(daemon.lock_us[-len(samples):])
    import_rss = daemon.peak_rss_mib()
    daemon.stop()

    db = sqlite3.connect(os.path.join(d, "state", "labdoor.db"))
    first = db.execute("SELECT MAX(id) FROM holder").fetchone()[0] + 1
    extra = max(0, HOLDERS - first + 1)
    db.execute(f"""WITH RECURSIVE n(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM n WHERE i < {first + extra - 1})
        INSERT INTO holder (id, name, profile, organisation, email, email_key, created_at)
        SELECT i, 'Holder ' || i, 'visitor', 'Org ' || (i % 100), 'h' || i || '@example.fi', 'h' || i || '@example.fi',
            '2026-01-01T00:00:00.000Z' FROM n""")
    db.commit()
    total = db.execute("SELECT COUNT(*) FROM holder").fetchone()[0]
    db.close()

    daemon = Daemon(d)
    list_seconds, samples = during(
        daemon, [f"{BIN}/labdoorctl", "--socket", daemon.sock, "holder", "list", "--format", "csv"])
    listed = summary(samples)
    list_rss = daemon.peak_rss_mib()
    daemon.stop()

    print(f"grants alone: p50 {quiet[0]:.0f} us p99 {quiet[1]:.0f} us max {quiet[2]:.0f} us")
    print(f"registration import of {IMPORT_ROWS} rows: {seconds:.1f} s; {imported[3]} grants meanwhile p50 "
          f"{imported[0]:.0f} us p99 {imported[1]:.0f} us max {imported[2]:.0f} us; slowest door lock meanwhile "
          f"{import_lock_max / 1000:.0f} ms; daemon peak RSS {import_rss:.0f} MiB")
    print(f"holder list of {total} holders: {list_seconds:.1f} s; {listed[3]} grants meanwhile p50 {listed[0]:.0f} us "
          f"p99 {listed[1]:.0f} us max {listed[2]:.0f} us; daemon peak RSS {list_rss:.0f} MiB")
    print(f'{{"import_rows": {IMPORT_ROWS}, "import_seconds": {seconds:.2f}, "import_grant_max_us": {imported[2]:.0f}, '
          f'"list_holders": {total}, "list_seconds": {list_seconds:.2f}, "list_grant_p99_us": {listed[1]:.0f}, '
          f'"list_grant_max_us": {listed[2]:.0f}, "list_peak_rss_mib": {list_rss:.0f}}}')
