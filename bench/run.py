#!/usr/bin/env python3
"""make bench: LabDoor at the largest commercial size and at a small one, in the same run.

Writes bench/results.json — flat {"metric_unit": number}, the large database's figures under the names
../shared/DESIGN.md ("Benchmarks") gives, the small one's with the suffix _small — and prints a summary.
A measurement, never an assertion: docs/performance.md keeps the figures with the machine they came from.

Large: 2,000,000 holders, badges and registrations and 10,000,000 events; small: 1,000 and 10,000. Both are
made by `labdoor-bench generate` (the store's own fingerprints, hash chain and signed checkpoints: the log
verifies), cached under BENCH_CACHE (default ~/.cache/labdoor-bench) by size and generator, and copied for
each run. BENCH_TINY=1 (make test) runs every step on two tiny databases so that the tool cannot rot.

Every figure comes from outside a release labdoord (sim door, FIFO reader) except decision_* and
decision_to_durable_*, which the daemon itself reports with each decision (`decision.us`: from the loop taking
the complete read to the relay command; `durable.us`: to the event committed, which for a grant comes before
the relay moves); the external badge-line-to-relay-line figures are reported beside them (*_external_*).

  BIN=.build/release python3 bench/run.py

While working on one figure: BENCH_SIZES=large|small (one size) and BENCH_ONLY=a comma list of the phases
decisions, events, verify, import, list, memory (start-up is always measured); a partial run never writes
bench/results.json unless BENCH_OUT says where.
"""
import hashlib, json, os, re, select, shutil, socket, statistics, subprocess, sys, tempfile, threading, time

BIN = os.environ.get("BIN") or sys.exit("set BIN to the directory with labdoord, labdoorctl and labdoor-bench")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = os.environ.get("BENCH_TINY") == "1"
CACHE = os.environ.get("BENCH_CACHE") or os.path.expanduser("~/.cache/labdoor-bench")
OUT = os.environ.get("BENCH_OUT") or os.path.join(ROOT, "bench", "results.json")
SIZES = [("", 300, 2_000) if TINY else ("", 2_000_000, 10_000_000),
         ("_small", 100, 1_000) if TINY else ("_small", 1_000, 10_000)]
SAMPLES = 20 if TINY else 600
# The issue asks for RSS after 100,000 decisions; a flood through the FIFO runs at ~100 decisions/s at the large
# size on this VM (each an fsync'd commit), which alone would take 17 of make bench's 20 minutes. The default is
# 20,000, with RSS sampled along the way (daemon_rss_trace_mb) to show whether it grows; BENCH_RSS_DECISIONS=100000
# for the full count.
RSS_DECISIONS = int(os.environ.get("BENCH_RSS_DECISIONS") or (200 if TINY else 20_000))
IMPORT_ROWS = 200 if TINY else 100_000
LIST_SECONDS = 2 if TINY else 20
PHASES = ("decisions", "events", "verify", "import", "list", "memory")
ONLY = [p for p in (os.environ.get("BENCH_ONLY") or ",".join(PHASES)).split(",") if p]
if unknown := set(ONLY) - set(PHASES):
    sys.exit(f"bench: BENCH_ONLY: no phase {', '.join(sorted(unknown))} (phases: {', '.join(PHASES)})")
if os.environ.get("BENCH_SIZES"):
    wanted = {"large": "", "small": "_small"}
    if os.environ["BENCH_SIZES"] not in wanted:
        sys.exit("bench: BENCH_SIZES is large or small")
    SIZES = [size for size in SIZES if size[0] == wanted[os.environ["BENCH_SIZES"]]]
PARTIAL = len(ONLY) < len(PHASES) or len(SIZES) < 2
if PARTIAL and not os.environ.get("BENCH_OUT"):
    OUT = None
BADGE = b"1000000001\n"  # holder 1, staff: granted at any hour


def say(text):
    print(f"bench: {text}", flush=True)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else 0


def cached_database(holders, events):
    """The state directory of a generated database of this size (made once per generator version)."""
    digest = hashlib.sha256()
    for part in ("Tests/Helpers/labdoor-bench/Bench.swift", "Sources/LabDoorStore/Migrations.swift"):
        with open(os.path.join(ROOT, part), "rb") as f:
            digest.update(f.read())
    path = os.path.join(CACHE, f"{holders}x{events}-{digest.hexdigest()[:12]}")
    if not os.path.isdir(path):
        os.makedirs(CACHE, exist_ok=True)
        partial = path + ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        os.makedirs(partial)
        started = time.monotonic()
        subprocess.run([f"{BIN}/labdoor-bench", "generate", partial, str(holders), str(events)], check=True)
        say(f"generated {holders} holders and {events} events in {time.monotonic() - started:.0f} s")
        os.rename(partial, path)
        for old in os.listdir(CACHE):  # other generator versions of this size are stale
            if old.startswith(f"{holders}x{events}-") and os.path.join(CACHE, old) != path:
                shutil.rmtree(os.path.join(CACHE, old), ignore_errors=True)
    return path


def drop_caches():
    """Drops the page cache (root only); returns whether it could."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


class Daemon:
    """A release labdoord on a copy of a generated database: sim door, one FIFO reader, READY=1 timed."""

    def __init__(self, work):
        self.work = work
        self.sock, self.fifo = os.path.join(work, "control.sock"), os.path.join(work, "entry.fifo")
        self.config = os.path.join(work, "labdoor.toml")
        with open(self.config, "w") as f:
            f.write(f'[paths]\nstate_dir = "{work}/state"\nsocket = "{self.sock}"\n'
                    f'[door]\nbackend = "sim"\nunlock_seconds = 60\n'
                    f'[[reader]]\nname = "entry"\nbackend = "fifo"\npath = "{self.fifo}"\n'
                    f'[clock]\ntrust = "always"\n')
        self.process = None

    def start(self):
        """Starts it; returns the milliseconds from exec to READY=1."""
        notify = os.path.join(self.work, "notify.sock")
        if os.path.exists(notify):
            os.unlink(notify)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(notify)
        env = dict(os.environ, NOTIFY_SOCKET=notify)
        started = time.monotonic()
        self.process = subprocess.Popen([f"{BIN}/labdoord", "--config", self.config], env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, bufsize=0)
        ready = None
        deadline = started + 600
        while ready is None:
            left = deadline - time.monotonic()
            if left <= 0 or self.process.poll() is not None:
                sys.exit(f"bench: labdoord did not report READY=1: {self.process.stderr.read().decode()[-2000:]}")
            if select.select([listener], [], [], min(left, 1))[0]:
                if b"READY=1" in listener.recv(4096):
                    ready = (time.monotonic() - started) * 1000
        listener.close()
        # stdout is read all the time, as stderr is: a door line the pipe cannot take blocks the daemon's loop.
        self.buffer, self.output = b"", threading.Condition()
        self.stdout_thread = threading.Thread(target=self._read_stdout, daemon=True)
        self.stdout_thread.start()
        self.decisions = []  # (decision.us, durable.us) from the daemon's log
        self.checked = threading.Event()  # the background integrity check is over
        self.stderr_thread = threading.Thread(target=self._read_stderr, daemon=True)
        self.stderr_thread.start()
        for _ in range(400):  # the FIFO reader makes its FIFO as it starts
            if os.path.exists(self.fifo) and os.path.exists(self.sock):
                break
            time.sleep(0.025)
        self.writer = os.open(self.fifo, os.O_WRONLY)
        self.connect()
        self.request_id = 0
        return ready

    def connect(self):
        self.control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.control.connect(self.sock)
        self.control_file = self.control.makefile("rwb", buffering=0)

    def _read_stderr(self):
        pattern = re.compile(rb"decision\.us=(\d+) durable\.us=(\d+)")
        for line in self.process.stderr:
            match = pattern.search(line)
            if match:
                self.decisions.append((int(match.group(1)), int(match.group(2))))
            elif b"passed its integrity check" in line or b"integrity check:" in line:
                self.checked.set()

    def call(self, cmd, args=None):
        self.request_id += 1
        request = (json.dumps({"v": 2, "id": self.request_id, "cmd": cmd, "args": args or {}}) + "\n").encode()
        try:
            self.control_file.write(request)
            line = self.control_file.readline()
        except OSError:
            line = b""
        if not line:  # the daemon closes a connection left idle (a long step ran meanwhile): connect again
            self.control.close()
            self.connect()
            self.control_file.write(request)
            line = self.control_file.readline()
        answer = json.loads(line)
        if not answer.get("ok"):
            sys.exit(f"bench: {cmd}: {answer}")
        return answer["result"]

    def _read_stdout(self):
        out = self.process.stdout.fileno()
        while chunk := os.read(out, 65536):
            with self.output:
                self.buffer = (self.buffer + chunk)[-(1 << 20):]  # a flood of door lines is not kept
                self.output.notify_all()

    def wait_for(self, text, timeout=60):
        with self.output:
            if not self.output.wait_for(lambda: text in self.buffer, timeout=timeout):
                sys.exit(f"bench: no {text!r} from labdoord within {timeout} s")
            self.buffer = self.buffer[self.buffer.index(text) + len(text):]

    def grant(self):
        """One grant: badge line in → relay line out, in microseconds; the door is locked again after."""
        started = time.monotonic_ns()
        os.write(self.writer, BADGE)
        self.wait_for(b"relay=unlocked reason=granted")
        took = (time.monotonic_ns() - started) / 1000
        self.call("door.lock")
        self.wait_for(b"relay=locked")
        return took

    def last_seq(self):
        return self.call("status")["log"]["last_seq"]

    def rss_mb(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0

    def stop(self):
        self.control.close()
        os.close(self.writer)
        self.process.terminate()
        self.process.wait(timeout=60)


def ctl(daemon, *args, **kwargs):
    return subprocess.run([f"{BIN}/labdoorctl", "--socket", daemon.sock, *args], check=True, **kwargs)


def timed(command, **kwargs):
    started = time.monotonic()
    subprocess.run(command, check=True, **kwargs)
    return time.monotonic() - started


def measure(suffix, holders, events, results):
    source = cached_database(holders, events)
    with tempfile.TemporaryDirectory(prefix="labdoor-bench-", dir=os.environ.get("BENCH_WORK")) as work:
        subprocess.run(["cp", "-a", "--reflink=auto", source, os.path.join(work, "state")], check=True)
        daemon = Daemon(work)
        database = os.path.join(work, "state", "labdoor.db")
        cold = drop_caches()
        results[f"daemon_ready_ms{suffix}"] = round(daemon.start(), 1)
        daemon.stop()
        results[f"daemon_ready_warm_ms{suffix}"] = round(daemon.start(), 1)
        say(f"{holders} holders: READY=1 after {results[f'daemon_ready_ms{suffix}']} ms "
            f"({'page cache dropped' if cold else 'warm: not root, cannot drop the page cache'}), "
            f"{results[f'daemon_ready_warm_ms{suffix}']} ms warm")

        # The daemon reads the whole file once after READY=1 (quick_check, in the background); the figures below
        # are for the daemon at work, not for its first minute.
        started = time.monotonic()
        if not daemon.checked.wait(timeout=600):
            sys.exit("bench: the daemon's background integrity check did not end within 600 s")
        results[f"integrity_check_s{suffix}"] = round(time.monotonic() - started, 1)

        if "decisions" in ONLY:
            # Decisions, alone.
            daemon.decisions.clear()
            external = [daemon.grant() for _ in range(SAMPLES)]
            time.sleep(0.2)  # the last decision's log line follows its relay line
            inside = list(daemon.decisions)
            results[f"decision_p50_us{suffix}"] = percentile([d for d, _ in inside], 0.5)
            results[f"decision_p99_us{suffix}"] = percentile([d for d, _ in inside], 0.99)
            results[f"decision_to_durable_p99_us{suffix}"] = percentile([d for _, d in inside], 0.99)
            results[f"decision_external_p50_us{suffix}"] = round(percentile(external, 0.5))
            results[f"decision_external_p99_us{suffix}"] = round(percentile(external, 0.99))
            say(f"decisions p50 {results[f'decision_p50_us{suffix}']} us, p99 {results[f'decision_p99_us{suffix}']} us")

        if "events" in ONLY:
            # One day of events, JSON, through the daemon.
            day = os.path.join(work, "day.json")
            with open(day, "w") as out:
                seconds = timed([f"{BIN}/labdoorctl", "--socket", daemon.sock, "events", "--since", "2026-11-28T00:00Z",
                                 "--until", "2026-11-29T00:00Z", "--format", "json", "--no-pager"], stdout=out)
            with open(day) as f:
                day_events = len(json.load(f))
            results[f"events_query_ms{suffix}"] = round(seconds * 1000, 1)
            say(f"one day of events: {day_events} in {seconds:.2f} s")
            results[f"events_query_rows{suffix}"] = day_events

        if "verify" in ONLY:
            # verify, and sha256sum over the same canonical bytes.
            seconds = timed([f"{BIN}/labdoorctl", "audit", "verify", "--db", database, "--quiet"],
                            stdout=subprocess.DEVNULL)
            total = daemon.last_seq()
            results[f"verify_events_per_s{suffix}"] = round(total / seconds)
            say(f"verify: {total} events in {seconds:.1f} s")
            canonical = os.path.join(work, "canonical.bin")
            subprocess.run([f"{BIN}/labdoor-bench", "canonical", database, canonical], check=True, stdout=subprocess.DEVNULL)
            subprocess.run(["cat", canonical], check=True, stdout=subprocess.DEVNULL)  # in the page cache, as the db is
            seconds = timed(["sha256sum", canonical], stdout=subprocess.DEVNULL)
            results[f"sha256sum_events_per_s{suffix}"] = round(total / seconds)
            os.unlink(canonical)

        if "import" in ONLY:
            # A 100,000-row registration CSV (half new people, half a second registration).
            csv = os.path.join(work, "bookings.csv")
            with open(csv, "w", encoding="utf-8") as f:
                f.write("email,name,organisation,from,until\n")
                for i in range(IMPORT_ROWS):
                    person = i // 2
                    day_of_month = 4 + (i % 2) * 7
                    f.write(f"person{person}@valtio.fi,Henkilö Äijälä {person},Virasto {person % 40},"
                            f"2027-01-{day_of_month:02d},2027-01-{day_of_month + 4:02d}\n")
            seconds = timed([f"{BIN}/labdoorctl", "--socket", daemon.sock, "registration", "import", csv, "--quiet"],
                            stdout=subprocess.DEVNULL)
            results[f"import_rows_per_s{suffix}"] = round(IMPORT_ROWS / seconds)

        if "list" in ONLY:
            # Decisions while another client lists every holder.
            daemon.decisions.clear()
            lister = subprocess.Popen([f"{BIN}/labdoorctl", "--socket", daemon.sock, "holder", "list", "--format", "csv"],
                                      stdout=subprocess.DEVNULL)
            during = []
            deadline = time.monotonic() + LIST_SECONDS
            while time.monotonic() < deadline and (lister.poll() is None or not during):
                during.append(daemon.grant())
            lister.kill()
            lister.wait()
            results[f"decision_during_list_p99_us{suffix}"] = round(percentile(during, 0.99))
            results[f"decision_during_list_samples{suffix}"] = len(during)

        if "memory" in ONLY:
            # Memory after RSS_DECISIONS decisions (the door stays unlocked: each read is a decision and an event).
            # Progress is read from the file: a control request would queue behind the flood of reads on the loop.
            # A fresh daemon: the steps before (an import in one request, a full list) leave their peaks in malloc.
            daemon.stop()
            daemon.start()
            if not daemon.checked.wait(timeout=600):
                sys.exit("bench: the daemon's background integrity check did not end within 600 s")
            results[f"daemon_rss_start_mb{suffix}"] = round(daemon.rss_mb(), 1)
            import sqlite3
            log = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
            def logged():
                return log.execute("SELECT MAX(seq) FROM event").fetchone()[0]
            first = logged()
            feeder = threading.Thread(target=lambda: [os.write(daemon.writer, BADGE) for _ in range(RSS_DECISIONS)])
            feeder.start()
            deadline = time.monotonic() + 1800
            trace, marks = [], [first + RSS_DECISIONS * k // 4 for k in (1, 2, 3)]
            while logged() < first + RSS_DECISIONS:
                if time.monotonic() > deadline:
                    sys.exit("bench: the decisions for the memory figure did not finish within 30 minutes")
                if marks and logged() >= marks[0]:
                    marks.pop(0)
                    trace.append(round(daemon.rss_mb(), 1))
                time.sleep(0.5)
            results[f"daemon_rss_trace_mb{suffix}"] = trace
            feeder.join()
            log.close()
            results[f"daemon_rss_mb{suffix}"] = round(daemon.rss_mb(), 1)
            results[f"daemon_rss_trace_mb{suffix}"].append(results[f"daemon_rss_mb{suffix}"])
            results[f"daemon_rss_decisions{suffix}"] = RSS_DECISIONS
        daemon.stop()


def main():
    results = {}
    started = time.monotonic()
    for suffix, holders, events in SIZES:
        say(f"{holders} holders, badges and registrations, {events} events")
        measure(suffix, holders, events, results)
    if os.environ.get("BENCH_HIL_RUN") == "1":
        # The emulated USB reader to the gpio-sim relay line, on the real kernel (hil/scenarios/33-usb-latency.sh).
        say("HIL: badge typed on the emulated reader → relay line")
        run = subprocess.run(["bash", os.path.join(ROOT, "hil", "run.sh")], env=dict(os.environ, HIL_ONLY="33-usb"),
                             capture_output=True, text=True)
        found = re.search(r"hil_badge_to_relay_ms ([\d.]+) .*hil_badge_reports_ms ([\d.]+)", run.stdout)
        if run.returncode != 0 or not found:
            sys.exit(f"bench: the HIL run failed:\n{run.stdout[-3000:]}{run.stderr[-2000:]}")
        results["hil_badge_to_relay_ms"] = float(found.group(1))
        results["hil_badge_reports_ms"] = float(found.group(2))
    if OUT:
        with open(OUT, "w") as f:
            json.dump(results, f, indent=2, sort_keys=True)
            f.write("\n")
    width = max(len(k) for k in results)
    for key in sorted(results):
        print(f"  {key:<{width}}  {results[key]}")
    say(f"wrote {OUT or 'nothing (a partial run)'} in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
