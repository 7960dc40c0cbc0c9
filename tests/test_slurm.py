"""End to end on a real single-node SLURM cluster: the workflow on config/test.yaml through the
official executor plugin and workflow/profiles/slurm.

The test installs Debian's `slurm-wlm` and `munge` (apt-get) and `snakemake-executor-plugin-slurm`
(pip) if they are missing, starts a private cluster (munged, slurmctld, slurmd as root, with their
key, socket, state and logs in a temporary directory and on free TCP ports, so it leaves a system
MUNGE or SLURM alone), runs the workflow in a fresh copy, checks every figure and that the jobs went
through SLURM, and stops everything it started, also on failure.

The one system-wide file is /etc/slurm/slurm.conf: the plugin's job-step executor removes every
SLURM_* variable (SLURM_CONF too) before its nested `srun`, so a config elsewhere is not found inside
a job. The test writes that file only if it does not exist or was written by this test (first line
CONF_MARKER), skips otherwise, and removes it afterwards.

It needs root and apt-get; it is skipped (with the reason) without them, or when SAL_SKIP_SLURM is set.
Run it alone with `pytest tests/test_slurm.py -s` to see the number of submissions and the wall time.
"""

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from test_workflow import FIGURES

pytestmark = pytest.mark.slow

PROFILE = "workflow/profiles/slurm"
SNAKEMAKE_TIMEOUT = 720  # s; the run takes ~4-6 min on 2 cores (each grouped job starts its own Snakemake)
STARTUP_TIMEOUT = 60  # s until the node is idle
APT_TIMEOUT = 600
DAEMONS = ("munged", "slurmctld", "slurmd")
COMMANDS = (*DAEMONS, "sbatch", "srun", "squeue", "sinfo", "scancel")
SYSTEM_CONF = Path("/etc/slurm/slurm.conf")
CONF_MARKER = "# Single-node test cluster written by tests/test_slurm.py"


def _skip_reason():
    if os.environ.get("SAL_SKIP_SLURM"):
        return "SAL_SKIP_SLURM is set"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root: it installs SLURM with apt-get and runs its daemons"
    if not _slurm_installed() and not shutil.which("apt-get"):
        return "SLURM is not installed and apt-get is unavailable to install it"
    if SYSTEM_CONF.exists() and not SYSTEM_CONF.read_text(errors="replace").startswith(CONF_MARKER):
        return f"{SYSTEM_CONF} exists and was not written by this test: not replacing a real SLURM config"
    return None


def _slurm_installed():
    return all(shutil.which(c, path=_sbin_path()) for c in COMMANDS)


def _sbin_path():
    return os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin"])


def _run(cmd, timeout=120, check=True, **kwargs):
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and run.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({run.returncode}):\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return run


def _install_slurm():
    """apt-get install slurm-wlm munge (non-interactive) unless the daemons are there."""
    if _slurm_installed():
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "slurm-wlm", "munge"]
    run = _run(install, timeout=APT_TIMEOUT, check=False, env=env)
    if run.returncode != 0:  # a fresh machine may have no package lists yet
        _run(["apt-get", "update", "-q"], timeout=APT_TIMEOUT, env=env)
        _run(install, timeout=APT_TIMEOUT, env=env)


def _install_plugin():
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        _run([sys.executable, "-m", "pip", "install", "-q", "snakemake-executor-plugin-slurm"], timeout=APT_TIMEOUT)
        importlib.invalidate_caches()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _node_line(name):
    """This machine's NodeName line as slurmd detects it (CPUs, sockets, cores, RealMemory)."""
    detected = _run([shutil.which("slurmd", path=_sbin_path()), "-C"]).stdout.splitlines()[0]
    fields = [f for f in detected.split() if not f.startswith(("NodeName=", "UpTime="))]
    return " ".join([f"NodeName={name}", "NodeAddr=127.0.0.1", *fields, "State=UNKNOWN"])


def _slurm_conf(d, node, ctld_port, slurmd_port):
    return f"""\
{CONF_MARKER}: no accounting database, no cgroups.
ClusterName=saltest
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={d}/munge/munge.socket
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
# finished jobs stay visible to squeue this long (the plugin's status checks rely on it)
MinJobAge=600
SchedulerParameters=sched_interval=1
{_node_line(node)}
PartitionName=test Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


class Cluster:
    """munged, slurmctld and slurmd in the foreground as children of this process."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.node = socket.gethostname().split(".")[0]
        self.env = {**os.environ, "SLURM_CONF": str(SYSTEM_CONF), "PATH": _sbin_path()}
        self.procs = []

    def start(self):
        d = self.dir
        for sub in ("munge", "state", "spool"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o755)
        os.chmod(d / "munge", 0o755)
        key = d / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        os.chmod(key, 0o600)
        SYSTEM_CONF.parent.mkdir(parents=True, exist_ok=True)
        SYSTEM_CONF.write_text(_slurm_conf(d, self.node, _free_port(), _free_port()))
        socket_path = d / "munge" / "munge.socket"
        self._spawn("munged", ["munged", "--foreground", "--force", f"--key-file={key}", f"--socket={socket_path}",
                               f"--pid-file={d}/munge/munged.pid", f"--seed-file={d}/munge/munged.seed"])
        self._wait(lambda: socket_path.exists(), "the MUNGE socket")
        self._spawn("slurmctld", ["slurmctld", "-D", "-i"])
        self._spawn("slurmd", ["slurmd", "-D", "-N", self.node])
        self._wait(self._node_idle, "the node to be idle")

    def _spawn(self, name, cmd):
        out = open(self.dir / f"{name}.out", "w")
        self.procs.append((name, subprocess.Popen(cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                                  start_new_session=True)))
        out.close()

    def _node_idle(self):
        for name, proc in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited ({proc.returncode}):\n{self.logs()}")
        run = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], env=self.env, capture_output=True, text=True, timeout=20)
        return run.returncode == 0 and run.stdout.strip() == "idle"

    def _wait(self, ready, what):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not ready():
            if time.monotonic() > deadline:
                raise RuntimeError(f"timed out after {STARTUP_TIMEOUT} s waiting for {what}:\n{self.logs()}")
            time.sleep(0.5)

    def logs(self, tail=3000):
        text = []
        for name in ("munged.out", "slurmctld.out", "slurmctld.log", "slurmd.out", "slurmd.log"):
            path = self.dir / name
            if path.exists():
                text.append(f"--- {name}\n{path.read_text(errors='replace')[-tail:]}")
        return "\n".join(text)

    def stop(self):
        """Cancel our jobs, then stop the daemons (SIGTERM, SIGKILL after 10 s), in reverse order."""
        if any(name == "slurmctld" and p.poll() is None for name, p in self.procs):
            subprocess.run(["scancel", "--full", "--user", "root"], env=self.env, capture_output=True, timeout=30)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                q = subprocess.run(["squeue", "-h", "-t", "PD,R,CG,S,CF"], env=self.env, capture_output=True,
                                   text=True, timeout=20)
                if q.returncode != 0 or not q.stdout.strip():
                    break
                time.sleep(1)
        for name, proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        self.procs = []
        if SYSTEM_CONF.exists() and SYSTEM_CONF.read_text(errors="replace").startswith(CONF_MARKER):
            SYSTEM_CONF.unlink()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    t0 = time.monotonic()
    _install_slurm()
    _install_plugin()
    print(f"\n[slurm] installs checked/done in {time.monotonic() - t0:.1f} s")
    c = Cluster(tmp_path_factory.mktemp("slurm"))
    try:
        t0 = time.monotonic()
        c.start()
        print(f"[slurm] single-node cluster '{c.node}' idle after {time.monotonic() - t0:.1f} s "
              f"({_run(['sinfo', '-h', '-N', '-o', '%N %c CPUs %m MB'], env=c.env).stdout.strip()})")
        yield c
    finally:
        c.stop()


def test_workflow_runs_through_slurm(cluster, tmp_path, copy_workflow):
    work = copy_workflow(tmp_path / "workflow")
    cmd = [sys.executable, "-m", "snakemake", "--profile", PROFILE, "--configfile", "config/test.yaml",
           # a single node without accounting database: no account, squeue for status, quick first check
           "--slurm-no-account", "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "1",
           # keep the SLURM logs of successful jobs too, to count them
           "--slurm-keep-successful-logs"]
    print("[slurm] " + " ".join(cmd[1:]))
    t0 = time.monotonic()
    try:
        run = subprocess.run(cmd, cwd=work, env=cluster.env, capture_output=True, text=True, timeout=SNAKEMAKE_TIMEOUT)
    except subprocess.TimeoutExpired as err:
        stderr = err.stderr.decode(errors="replace") if isinstance(err.stderr, bytes) else (err.stderr or "")
        pytest.fail(f"snakemake did not finish in {SNAKEMAKE_TIMEOUT} s:\n{stderr[-4000:]}\n{cluster.logs()}")
    wall = time.monotonic() - t0
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:] + "\n" + cluster.logs()

    for stem in FIGURES:
        for path in (f"results/figures/{stem}.pdf", f"results/figures/{stem}.png", f"results/tables/{stem}.csv"):
            assert (work / path).stat().st_size > 100, path

    # every job went through SLURM: one "submitted with SLURM jobid" line per submission, a SLURM log
    # for each of them, and no job ran in the local process except the target rule `all`
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", out)
    assert submitted, out[-4000:]
    slurm_logs = sorted((work / ".snakemake" / "slurm_logs").rglob("*.log"))
    assert {p.stem for p in slurm_logs} >= set(submitted), (submitted, slurm_logs)
    assert len(set(submitted)) == len(submitted)
    local = set(re.findall(r"^localrule (\w+):", out, flags=re.M))
    assert local <= {"all"}, local
    stats = out[out.index("Job stats"):].split("total")[1].split()[0]
    print(f"[slurm] {stats} jobs in {len(submitted)} SLURM submissions, wall time {wall:.1f} s")
    # the profile's precommand gave the jobs a node-local Numba cache
    precommand = yaml.safe_load((work / PROFILE / "config.yaml").read_text())["precommand"]
    cache = Path(precommand.split("NUMBA_CACHE_DIR=")[1].split()[0])
    assert any(cache.rglob("*.nbi")), f"no Numba cache in {cache}"

    # and SLURM ran each of them to completion (finished jobs stay in squeue for MinJobAge)
    jobs = _run(["squeue", "-h", "--states=all", "-o", "%i %T cpus=%C mem=%m time_limit=%l %k"], env=cluster.env)
    lines = sorted(jobs.stdout.splitlines(), key=lambda l: int(l.split()[0]))
    for line in lines:
        print(f"[slurm]   {line}")
    assert {line.split()[0]: line.split()[1] for line in lines} == dict.fromkeys(submitted, "COMPLETED"), lines
