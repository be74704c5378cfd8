"""`make run` as a person uses it: it serves the demo school, stops cleanly on Ctrl-C,
and starts again after being killed."""

import json
import signal
import socket

import pytest

from tests.helpers import MakeRun, clean_env, free_port, run_catedra

pytestmark = pytest.mark.slow
# make passes Ctrl-C on by dying of SIGINT itself once its child has finished.
STOPPED_BY_CTRL_C = (0, -signal.SIGINT)


@pytest.fixture
def make_run(tmp_path):
    run = MakeRun(tmp_path / "data", free_port())
    yield run
    if run.process and run.process.poll() is None:
        run.interrupt()
    for leftover in run.processes():
        leftover.kill()


def test_make_run_serves_readyz_and_the_demo_school_then_stops_cleanly_on_ctrl_c(make_run):
    make_run.start()  # how fast is tests/perf/test_startup.py's to measure

    status, body = make_run.get("/readyz")
    assert status == 200, body
    status, body = make_run.get("/", host="demo.localhost")
    assert status == 200
    assert "Ion Creangă" in body
    status, _body = make_run.get("/", host="nope.localhost")
    assert status == 404
    assert "demo.localhost" in make_run.output()  # the URLs are printed

    # docs/api.md's first steps: a key from the command, then the API with curl's request.
    env = clean_env(CATEDRA_DATA_DIR=str(make_run.data_dir))
    made = run_catedra("api_client", "--school", "demo", "create", "--as", "maria.ionescu", "--name", "Probă",
                       "--scope", "read:structure", "--scope", "read:grades", env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    status, body = make_run.get("/api/v1/grades?limit=2", host="demo.localhost",
                                headers={"Authorization": f"Bearer {made.stdout.strip()}"})  # fmt: skip
    assert status == 200 and len(json.loads(body)["items"]) == 2, body

    assert make_run.interrupt() in STOPPED_BY_CTRL_C
    assert "Catedra stopped." in make_run.output()
    assert make_run.wait_until_all_stopped() == [], make_run.output()[-3000:]


def test_make_run_starts_again_after_kill_minus_nine(make_run):
    make_run.start()
    make_run.kill_supervisor()
    make_run.start()
    assert make_run.get("/readyz")[0] == 200
    assert make_run.interrupt() in STOPPED_BY_CTRL_C
    assert make_run.wait_until_all_stopped() == [], make_run.output()[-3000:]


def test_a_port_already_taken_is_reported_and_nothing_is_left_running(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        run = MakeRun(tmp_path / "data", port)
        env = clean_env(CATEDRA_DATA_DIR=str(run.data_dir))
        # A fresh data folder is initialised and migrated first: minutes on a busy machine (a hang guard).
        result = run_catedra("run", "--port", str(port), "--no-demo", env=env, timeout=600)
    assert result.returncode != 0
    assert "web stopped during start-up" in result.stderr
    assert run.wait_until_all_stopped() == []
