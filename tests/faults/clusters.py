"""PostgreSQL clusters and a PgBouncer that a test starts on free ports and stops itself.

The machine's shared PostgreSQL (5432) is never reconfigured: a replica test makes its own
primary with `initdb` and copies it with `pg_basebackup` into a streaming replica. PostgreSQL and
PgBouncer refuse to run as root, so when the tests run as root these processes run as the
`postgres` user, in a folder that user owns. Every wait is bounded.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from .support import free_port

_BIN_DIRS = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
PG_BIN = Path(_BIN_DIRS[-1]) if _BIN_DIRS else None
PGBOUNCER = shutil.which("pgbouncer") or (
    "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
)


def _postgres_user() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


_CAN_RUN_AS_SERVER = os.geteuid() != 0 or _postgres_user() is not None

needs_cluster_tools = pytest.mark.skipif(
    PG_BIN is None or not (PG_BIN / "initdb").exists() or not _CAN_RUN_AS_SERVER,
    reason="needs PostgreSQL's server tools (initdb, pg_ctl, pg_basebackup) to make a cluster",
)
needs_pgbouncer = pytest.mark.skipif(
    PGBOUNCER is None or not _CAN_RUN_AS_SERVER,
    reason="needs pgbouncer installed (Debian package `pgbouncer`); .ci/run installs it",
)


def _as_server_user(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def _run(args: list[str], *, timeout: float = 120) -> None:
    subprocess.run(
        _as_server_user(args),
        check=True,
        timeout=timeout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def server_folder(prefix: str) -> Path:
    """A fresh folder the server user owns (pytest's own tmp folders are root's, mode 700)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    user = _postgres_user()
    if os.geteuid() == 0 and user is not None:
        os.chown(folder, user.pw_uid, user.pw_gid)
    folder.chmod(0o755)
    return folder


@dataclass
class Cluster:
    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def start(self) -> None:
        _run(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.data / "server.log"),
                "-o",
                f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1",
                "-w",
                "-t",
                "60",
                "start",
            ]
        )

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                _as_server_user(
                    [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
                ),
                timeout=60,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def psql(self, sql: str, *, database: str = "postgres") -> str:
        return subprocess.run(
            [
                str(PG_BIN / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-At",
                "-c",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()


def make_primary(folder: Path) -> Cluster:
    data = folder / "primary"
    _run(
        [
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "--no-instructions",
        ]
    )
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
        )
    cluster = Cluster(data=data, port=free_port())
    cluster.start()
    return cluster


def make_replica(primary: Cluster, folder: Path) -> Cluster:
    """A streaming replica of `primary`, started and following it."""
    data = folder / "replica"
    _run(
        [
            str(PG_BIN / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(data),
            "-R",  # writes standby.signal and primary_conninfo: it follows the primary
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
        ]
    )
    (data / "postmaster.pid").unlink(missing_ok=True)
    cluster = Cluster(data=data, port=free_port())
    cluster.start()
    return cluster


@dataclass
class Bouncer:
    folder: Path
    port: int
    process: subprocess.Popen

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def start_pgbouncer(
    *, database: str, upstream_port: int, pool_size: int = 2, connect_query: str = ""
) -> Bouncer:
    """PgBouncer in transaction mode on a free port, in front of `database` on 127.0.0.1."""
    folder = server_folder("pgbouncer-")
    port = free_port()
    extra = f" connect_query='{connect_query}'" if connect_query else ""
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"{database} = host=127.0.0.1 port={upstream_port} dbname={database}{extra}\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        f"unix_socket_dir = {folder}\n"
        "auth_type = trust\n"
        f"auth_file = {folder / 'users.txt'}\n"
        "pool_mode = transaction\n"
        f"default_pool_size = {pool_size}\n"
        "max_client_conn = 200\n"
        "ignore_startup_parameters = extra_float_digits\n"
        f"logfile = {folder / 'pgbouncer.log'}\n"
        f"pidfile = {folder / 'pgbouncer.pid'}\n"
    )
    (folder / "users.txt").write_text('"postgres" ""\n')
    for path in folder.iterdir():
        path.chmod(0o644)
    process = subprocess.Popen(
        _as_server_user([PGBOUNCER, str(folder / "pgbouncer.ini")]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    bouncer = Bouncer(folder=folder, port=port, process=process)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return bouncer
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    bouncer.stop()
    log = (folder / "pgbouncer.log").read_text() if (folder / "pgbouncer.log").exists() else ""
    raise RuntimeError(f"pgbouncer did not start: {log[-2000:]}")
