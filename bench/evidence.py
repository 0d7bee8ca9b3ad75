"""FireMode evidence uploads: throughput against ``sha256sum``, and the server's memory on 200 MiB.

The targets are the evidence-upload issue's. The real FireMode app runs under uvicorn (one worker) in a
subprocess on 127.0.0.1, on SQLite (a file in a temporary directory) and, when it answers on
127.0.0.1:5432, on PostgreSQL (a scratch database ``bench_<hex>`` created from ``test`` and dropped
at the end). Evidence is stored by the app's default local store, under the same temporary directory
as the files uploaded, so both sides read and write the same disk. ``evidence_max_bytes`` is raised
to 256 MiB for the run (the default is 50 MiB), so a 200 MiB file is accepted.

* **Upload throughput**: ``POST /v1/evidence`` of 1 MiB, 20 MiB and 200 MiB files, as a device sends
  them: a multipart body with ``sha256_hash`` (computed beforehand, as the device does when it
  captures), ``session_id`` (a session the technician created through ``POST …/results``),
  ``evidence_type`` and the file, with a ``Content-Length``. The client is ``http.client`` in this
  process, on a new connection per upload, streaming the file from disk in 1 MiB pieces; an upload
  is timed from the connect to the whole ``201`` answer read, and the answer's ``sha256`` and
  ``size_bytes`` are checked. Every repetition uploads a different file (a fresh 16-byte nonce), so
  the content-addressed store writes and fsyncs every blob instead of finding it already stored; the
  file is written and fsync'd before it is timed, so both sides read it from the page cache.
* **Reference**: ``sha256sum <file>`` (a subprocess, timed from spawn to exit) on the same file,
  interleaved with the uploads (upload first, then sha256sum first, and so on). Medians of the
  repetitions are reported. Target: upload MB/s ≥ 0.5 × sha256sum MB/s. For context only,
  ``openssl dgst -sha256`` is timed the same way: coreutils' sha256sum may not use the CPU's SHA
  instructions, while OpenSSL (and so Python's ``hashlib``, which the server hashes with) does.
* **Server memory**: during every 200 MiB upload a thread reads the server process's ``VmRSS``
  (``/proc/<pid>/status``) every 10 ms. The baseline is the reading just before the upload; the
  kernel's own peak (``VmHWM``, reset through ``/proc/<pid>/clear_refs`` before the upload) is read
  afterwards as a cross-check of the sampled peak. Target: RSS growth < 30 MiB on every upload.

MB/s means 10^6 bytes per second. Every upload has a socket timeout; the run is bounded by the
number of repetitions.

    .venv/bin/python bench/evidence.py            # about 35 seconds
    .venv/bin/python bench/evidence.py --quick    # about 12 seconds: fewer repetitions, SQLite only
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import http.client
import json
import logging
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    HOST,
    Server,
    add_serve_command,
    argument_parser,
    bearer,
    choose_databases,
    firemode_settings,
    http_post,
    log_in,
    machine,
    markdown_table,
    scratch_database,
    serve_app,
    serving,
    set_up_accounts,
    start_server,
    verdict,
)
from firemode.identity.roles import Role
from firemode.main import create_firemode_app

MIB = 1024 * 1024
SIZES_MIB = (1, 20, 200)
REPEATS = {1: 15, 20: 9, 200: 5}
QUICK_REPEATS = {1: 3, 20: 3, 200: 2}
MEMORY_SIZE_MIB = 200  # the upload whose server RSS is sampled
MAX_UPLOAD_BYTES = 256 * MIB  # evidence_max_bytes for the run
TARGET_RATIO = 0.5
TARGET_GROWTH_MIB = 30.0
SAMPLE_SECONDS = 0.010
SEND_CHUNK = MIB
UPLOAD_TIMEOUT_SECONDS = 120
EMAIL = "tech@bench.example.com"
SHA256SUM = ("sha256sum",)
OPENSSL = ("openssl", "dgst", "-sha256", "-r")  # context only: OpenSSL's SHA-256, as Python's hashlib uses
# An ISO-BMFF ``ftyp`` box with major brand mp42: the app sniffs the file as video/mp4.
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


# ---------------------------------------------------------------------------------------------
# The server (in its own process)


def serve(port: int, data_dir: Path, database_url: str) -> None:
    settings = firemode_settings(data_dir, database_url, evidence_max_bytes=MAX_UPLOAD_BYTES)
    serve_app(create_firemode_app(settings), port)


# ---------------------------------------------------------------------------------------------
# Files, uploads and the reference


@dataclass(frozen=True)
class UploadFile:
    path: Path
    size: int
    sha256: str


def write_file(directory: Path, base: bytes, repetition: int) -> UploadFile:
    """``base`` with a fresh nonce after the MP4 head: a file the store has not seen, on disk, synced."""
    nonce = secrets.token_bytes(16)
    pieces = (MP4_HEAD, nonce, memoryview(base)[len(MP4_HEAD) + len(nonce) :])
    digest = hashlib.sha256()
    path = directory / f"upload-{len(base) // MIB}mib-{repetition}.mp4"
    with path.open("wb") as out:
        for piece in pieces:
            digest.update(piece)
            out.write(piece)
        out.flush()
        os.fsync(out.fileno())
    return UploadFile(path, len(base), digest.hexdigest())


def multipart_envelope(upload: UploadFile, session_id: str) -> tuple[bytes, bytes, str]:
    """The multipart body around the file: what goes before it, after it, and the Content-Type."""
    boundary = "----bench" + uuid.uuid4().hex
    fields = {"sha256_hash": upload.sha256, "session_id": session_id, "evidence_type": "video"}
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{upload.path.name}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    )
    return head.encode(), f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload_once(port: int, token: str, session_id: str, upload: UploadFile) -> float:
    """One ``POST /v1/evidence`` streaming the file from disk; seconds from connect to the answer."""
    head, tail, content_type = multipart_envelope(upload, session_id)
    buffer = bytearray(SEND_CHUNK)
    view = memoryview(buffer)
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=UPLOAD_TIMEOUT_SECONDS)
    try:
        connection.putrequest("POST", "/v1/evidence")
        for name, value in (*bearer(token), ("Content-Type", content_type)):
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(head) + upload.size + len(tail)))
        connection.endheaders()
        connection.send(head)
        with upload.path.open("rb", buffering=0) as source:
            while read := source.readinto(buffer):
                connection.send(view[:read])
        connection.send(tail)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    elapsed = time.perf_counter() - started
    if response.status != 201:
        raise RuntimeError(f"upload of {upload.path.name}: {response.status} {body[:300]!r}")
    answer = json.loads(body)
    if answer["sha256"] != upload.sha256 or answer["size_bytes"] != upload.size:
        raise RuntimeError(f"upload of {upload.path.name}: the server stored something else: {answer}")
    return elapsed


def time_digest(command: Sequence[str], upload: UploadFile) -> float:
    """Seconds from spawning ``command <file>`` to its exit; its digest (last word) is checked."""
    started = time.perf_counter()
    completed = subprocess.run(
        [*command, str(upload.path)], capture_output=True, check=True, timeout=UPLOAD_TIMEOUT_SECONDS
    )
    elapsed = time.perf_counter() - started
    words = completed.stdout.split()
    if upload.sha256.encode() not in (words[0], words[-1]):
        raise RuntimeError(f"{command[0]} disagrees on {upload.path.name}: {completed.stdout[:100]!r}")
    return elapsed


def time_references(case: SizeCase, upload: UploadFile) -> None:
    case.sha256sum_seconds.append(time_digest(SHA256SUM, upload))
    if case.openssl_seconds is not None:
        case.openssl_seconds.append(time_digest(OPENSSL, upload))


def remove_blob(data_dir: Path, sha256: str) -> None:
    """The stored blob, once measured: a 200 MiB blob per repetition would add up."""
    (data_dir / "evidence" / sha256[:2] / sha256[2:4] / sha256).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# The server's memory


def status_kib(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` of a process, in KiB, from ``/proc/<pid>/status``."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            figures[name] = int(value.split()[0])
    return figures


def reset_peak(pid: int) -> bool:
    """Reset the kernel's peak RSS (``VmHWM``) to the current RSS; False when not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class RssSampler(threading.Thread):
    """Reads a process's ``VmRSS`` every ``SAMPLE_SECONDS`` until stopped; keeps the peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kib = 0
        self.samples = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak_kib = max(self.peak_kib, status_kib(self.pid)["VmRSS"])
            self.samples += 1
            self.stopped.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


@dataclass(frozen=True)
class MemoryRun:
    database: str
    repetition: int
    before_kib: int
    peak_sampled_kib: int
    peak_kernel_kib: int | None  # VmHWM after a reset; None when the reset was refused
    samples: int
    seconds: float

    @property
    def peak_kib(self) -> int:
        return max(self.peak_sampled_kib, self.peak_kernel_kib or 0)

    @property
    def growth_mib(self) -> float:
        return (self.peak_kib - self.before_kib) / 1024

    @property
    def meets_target(self) -> bool:
        return self.growth_mib < TARGET_GROWTH_MIB


def sampled_upload(
    server: Server, token: str, session_id: str, upload: UploadFile, name: str, repetition: int
) -> tuple[float, MemoryRun]:
    pid = server.process.pid
    kernel_peak = reset_peak(pid)
    before = status_kib(pid)["VmRSS"]
    sampler = RssSampler(pid)
    sampler.start()
    try:
        seconds = upload_once(server.port, token, session_id, upload)
    finally:
        sampler.stop()
    after = status_kib(pid)
    run = MemoryRun(
        database=name,
        repetition=repetition,
        before_kib=before,
        peak_sampled_kib=sampler.peak_kib,
        peak_kernel_kib=after["VmHWM"] if kernel_peak else None,
        samples=sampler.samples,
        seconds=seconds,
    )
    return seconds, run


# ---------------------------------------------------------------------------------------------
# One database


@dataclass
class SizeCase:
    database: str
    size_mib: int
    upload_seconds: list[float] = field(default_factory=list)
    sha256sum_seconds: list[float] = field(default_factory=list)
    openssl_seconds: list[float] | None = None  # None when openssl is not installed

    @property
    def openssl_rate(self) -> float | None:
        if not self.openssl_seconds:
            return None
        return self.size_mib * MIB / 1e6 / statistics.median(self.openssl_seconds)

    @property
    def upload_rate(self) -> float:
        return self.size_mib * MIB / 1e6 / statistics.median(self.upload_seconds)

    @property
    def sha256sum_rate(self) -> float:
        return self.size_mib * MIB / 1e6 / statistics.median(self.sha256sum_seconds)

    @property
    def ratio(self) -> float:
        return self.upload_rate / self.sha256sum_rate

    @property
    def meets_target(self) -> bool:
        return self.ratio >= TARGET_RATIO


def create_session(port: int, token: str) -> str:
    """A test session, made as the tests make one: a first results batch for a new id."""
    session_id = str(uuid.uuid4())
    body = json.dumps({"changes": [{"op": "set", "path": "/started", "value": True}]}).encode()
    headers = {
        **dict(bearer(token)),
        "Content-Type": "application/json",
        "Idempotency-Key": str(uuid.uuid4()),
    }
    status, answer = http_post(port, f"/v1/tests/sessions/{session_id}/results", body, headers)
    if status != 200:
        raise RuntimeError(f"creating a session: {status} {answer[:300]!r}")
    return session_id


def measure_database(name: str, tmp: Path, repeats: dict[int, int]) -> tuple[list[SizeCase], list[MemoryRun]]:
    data_dir, files = tmp / name.lower(), tmp / f"files-{name.lower()}"
    data_dir.mkdir()
    files.mkdir()
    cases: list[SizeCase] = []
    memory: list[MemoryRun] = []
    with scratch_database(name, data_dir, "firemode") as url:
        asyncio.run(set_up_accounts(data_dir, url, (EMAIL, Role.TECHNICIAN)))
        with serving([lambda: start_server(__file__, "kit", data_dir, name, url)]) as (server,):
            token = log_in(server.port, EMAIL)
            session_id = create_session(server.port, token)
            at_start = status_kib(server.process.pid)["VmRSS"] / 1024
            warm = write_file(files, os.urandom(MIB), 0)  # imports, pools, the thread pool
            upload_once(server.port, token, session_id, warm)
            remove_blob(data_dir, warm.sha256)
            warm.path.unlink()
            for size_mib in SIZES_MIB:
                case = SizeCase(name, size_mib, openssl_seconds=[] if shutil.which("openssl") else None)
                base = os.urandom(size_mib * MIB)
                for repetition in range(repeats[size_mib]):
                    upload = write_file(files, base, repetition)
                    upload_first = repetition % 2 == 0
                    if not upload_first:
                        time_references(case, upload)
                    if size_mib == MEMORY_SIZE_MIB:
                        seconds, run = sampled_upload(server, token, session_id, upload, name, repetition + 1)
                        memory.append(run)
                        grew = f"  RSS +{run.growth_mib:.2f} MiB ({run.samples} samples)"
                    else:
                        seconds, grew = upload_once(server.port, token, session_id, upload), ""
                    case.upload_seconds.append(seconds)
                    if upload_first:
                        time_references(case, upload)
                    print(
                        f"  {name} {size_mib:>3} MiB #{repetition + 1}: upload {seconds * 1000:8.1f} ms, "
                        f"sha256sum {case.sha256sum_seconds[-1] * 1000:7.1f} ms"
                        + (
                            f", openssl {case.openssl_seconds[-1] * 1000:7.1f} ms"
                            if case.openssl_seconds
                            else ""
                        )
                        + grew
                    )
                    remove_blob(data_dir, upload.sha256)
                    upload.path.unlink()
                cases.append(case)
                print(
                    f"{name} {size_mib} MiB: upload {case.upload_rate:.0f} MB/s, "
                    f"sha256sum {case.sha256sum_rate:.0f} MB/s, ratio {case.ratio:.2f}"
                )
            at_end = status_kib(server.process.pid)
            print(
                f"{name}: server RSS {at_start:.1f} MiB before the first upload (after start-up, a login "
                f"and a results batch), {at_end['VmRSS'] / 1024:.1f} MiB after the last"
            )
    return cases, memory


# ---------------------------------------------------------------------------------------------
# The figures


def throughput_table(cases: Sequence[SizeCase]) -> str:
    header = (
        "| database | file | uploads | upload ms (median) | upload MB/s | sha256sum ms (median) "
        f"| sha256sum MB/s | upload / sha256sum | ≥ {TARGET_RATIO}× | openssl MB/s (context) "
        "| upload / openssl |"
    )
    return markdown_table(
        header,
        (
            f"| {case.database} | {case.size_mib} MiB | {len(case.upload_seconds)} "
            f"| {statistics.median(case.upload_seconds) * 1000:.1f} | {case.upload_rate:.0f} "
            f"| {statistics.median(case.sha256sum_seconds) * 1000:.1f} | {case.sha256sum_rate:.0f} "
            f"| {case.ratio:.3f}× | {verdict(case.meets_target)} "
            + (
                f"| {case.openssl_rate:.0f} | {case.upload_rate / case.openssl_rate:.2f}× |"
                if case.openssl_rate
                else "| — | — |"
            )
            for case in cases
        ),
    )


def memory_table(runs: Sequence[MemoryRun]) -> str:
    header = (
        "| database | 200 MiB upload | RSS before MiB | peak sampled MiB | peak VmHWM MiB | growth MiB "
        f"| samples | < {TARGET_GROWTH_MIB:.0f} MiB |"
    )
    return markdown_table(
        header,
        (
            f"| {run.database} | #{run.repetition} | {run.before_kib / 1024:.1f} "
            f"| {run.peak_sampled_kib / 1024:.1f} "
            f"| {'—' if run.peak_kernel_kib is None else f'{run.peak_kernel_kib / 1024:.1f}'} "
            f"| {run.growth_mib:.2f} | {run.samples} | {verdict(run.meets_target)} |"
            for run in runs
        ),
    )


# ---------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argument_parser(__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, SQLite only")
    parser.add_argument("--databases", choices=["both", "sqlite", "postgresql"], default="both")
    add_serve_command(parser, ["kit"])
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    if args.command == "serve":
        serve(args.port, args.data_dir, args.database_url)
        return 0

    logging.disable(logging.INFO)  # the setup's migration and audit lines (the server logs to a file)
    repeats = QUICK_REPEATS if args.quick else REPEATS
    names = choose_databases(args.databases, args.quick)
    cases: list[SizeCase] = []
    memory: list[MemoryRun] = []
    with tempfile.TemporaryDirectory(prefix="bench-evidence-") as tmp:
        print(f"evidence: {', '.join(names)}; repetitions {repeats}; files in {tmp}; {machine()}")
        for name in names:
            more = measure_database(name, Path(tmp), repeats)
            cases += more[0]
            memory += more[1]

    print(f"\nupload throughput (POST /v1/evidence) against sha256sum\n\n{throughput_table(cases)}")
    print(f"\nserver RSS during each {MEMORY_SIZE_MIB} MiB upload\n\n{memory_table(memory)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
