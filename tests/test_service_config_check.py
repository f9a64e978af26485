"""Checking a configuration as start-up reads it (hpcapi/service/config_check.py), against
Slurm with --online, and the ``hpcapi-server check-config`` command (hpcapi/web/server.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import JWT_KEY, SLURMRESTD_URL, FakeSlurmrestd

from hpcapi.config import ConfigError
from hpcapi.service.config_check import check_online, take_snapshot
from hpcapi.web import server
from tests.slurm_answers import V44, paths, recorded, serve_v0044


def site(tmp_path: Path, partitions: str = "norm, quick", key_mode: int = 0o600,
         state: Path | None = None) -> Path:
    """A site file in ``tmp_path`` with its key and state directory."""
    key = tmp_path / "jwt.key"
    key.write_bytes(JWT_KEY)
    os.chmod(key, key_mode)
    if state is None:
        state = tmp_path / "state"
        state.mkdir()
    path = tmp_path / "hpcapi.conf"
    path.write_text(f"[identity]\nallowed_realms = HPCAPI.TEST\n[submit]\n"
                    f"allowed_partitions = {partitions}\n[state]\ndirectory = {state}\n"
                    f"[slurmrestd]\nurl = {SLURMRESTD_URL}\njwt_key_file = {key}\n")
    return path


def test_a_good_file_is_taken_with_its_key(tmp_path: Path) -> None:
    snapshot = take_snapshot(str(site(tmp_path)))
    assert snapshot.jwt_key.key == JWT_KEY
    assert snapshot.config.allowed_partitions == ("norm", "quick")


def test_the_key_and_state_directory_are_checked_as_start_up_does(tmp_path: Path) -> None:
    path = site(tmp_path, key_mode=0o644, state=tmp_path / "missing")
    with pytest.raises(ConfigError) as caught:
        take_snapshot(str(path))
    key, state = caught.value.problems
    assert key.startswith(f"{path}: [slurmrestd] jwt_key_file: JWT signing key ")
    assert "has mode 0644" in key
    assert state == (f"{path}: [state] directory: {tmp_path}/missing is not a directory this"
                     " user can write")


def test_online_names_the_version_the_token_and_partitions_slurm_lacks(
        tmp_path: Path, fake_slurmrestd: FakeSlurmrestd) -> None:
    serve_v0044(fake_slurmrestd)
    fake_slurmrestd.answer_json("GET", paths(V44)["partitions"], recorded(V44, "partitions"))
    path = site(tmp_path, partitions="norm, gpu, quick")
    report = check_online(take_snapshot(str(path)), fake_slurmrestd)
    assert report.facts == (f"slurmrestd {SLURMRESTD_URL}: API version {V44}",
                            f"slurmrestd accepts tokens signed with {tmp_path}/jwt.key")
    assert report.problems == (f"{path}: [submit] allowed_partitions: Slurm has no partition"
                               " 'gpu' (it has: norm, quick, restricted)",)


def test_online_says_when_slurmrestd_refuses_the_token(
        tmp_path: Path, fake_slurmrestd: FakeSlurmrestd) -> None:
    serve_v0044(fake_slurmrestd)
    refused = recorded(V44, "errors")["ping_bad_token"]
    fake_slurmrestd.answer_json("GET", paths(V44)["ping"], refused["body"], refused["status"])
    path = site(tmp_path)
    report = check_online(take_snapshot(str(path)), fake_slurmrestd)
    assert report.facts == (f"slurmrestd {SLURMRESTD_URL}: API version {V44}",)
    (problem,) = report.problems
    assert problem.startswith(f"{path}: [slurmrestd]: ")
    assert "JWT key" in problem


def test_check_config_exit_status_and_one_line_per_problem(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = site(tmp_path)
    assert server.main(["check-config", str(good)]) == 0
    assert capsys.readouterr().out == f"{good}: OK\n"
    bad = tmp_path / "bad.conf"
    bad.write_text(good.read_text() + "colour = red\n[extra]\n")
    assert server.main(["check-config", str(bad)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ", 1)[1][:30] for line in lines] == [
        "unknown key 'colour' in [slurm", "unknown section [extra] (known"]


def test_serve_stops_with_ex_config_before_starting_gunicorn(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.conf"
    bad.write_text("[identity]\nmin_uid = abc\n")
    monkeypatch.setenv("HPCAPI_CONFIG", str(bad))
    assert server.main(["serve", "--bind", "unix:/nonexistent/g.sock"]) == server.EXIT_CONFIG
    assert capsys.readouterr().err == (
        f"hpcapi-server: {bad}: [identity] min_uid: 'abc' is not an integer\n")


# --- the gunicorn application: what its master reads, reloads and hands to workers ------------


@pytest.fixture
def application(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> server.HpcapiApplication:
    path = site(tmp_path)
    # No slurmrestd answers there: a worker starts anyway (backend_unavailable until it does).
    path.write_text(path.read_text().replace(SLURMRESTD_URL, "http://127.0.0.1:9"))
    monkeypatch.setattr("sys.argv", ["hpcapi-server serve", "--workers", "3"])
    return server.HpcapiApplication(take_snapshot(str(path)))


def test_gunicorn_options_are_gunicorn_s_and_no_application_is_named(
        application: server.HpcapiApplication, monkeypatch: pytest.MonkeyPatch) -> None:
    assert application.cfg.workers == 3
    monkeypatch.setattr("sys.argv", ["hpcapi-server serve", "other:app"])
    with pytest.raises(SystemExit):
        server.HpcapiApplication(application.snapshot)


def test_a_worker_builds_the_app_from_the_master_s_snapshot(
        application: server.HpcapiApplication) -> None:
    app = application.load()
    assert app.extensions["hpcapi"].config is application.snapshot.config


def test_a_worker_that_cannot_start_says_why_in_one_line(
        application: server.HpcapiApplication, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "state").rmdir()  # the journal's directory, gone since the master checked it
    with pytest.raises(SystemExit) as caught:
        application.load()
    assert caught.value.code == server.WORKER_BOOT_ERROR
    (record,) = [r for r in caplog.records if r.name == "hpcapi" and r.levelname == "ERROR"]
    assert record.getMessage().startswith("hpcapi cannot start: [state] directory = ")
    assert record.exc_info is None


def test_a_reload_takes_a_good_file_and_keeps_the_old_one_for_a_broken_file(
        application: server.HpcapiApplication, caplog: pytest.LogCaptureFixture) -> None:
    path = Path(application.snapshot.path)
    first = application.snapshot
    path.write_text(path.read_text() + "colour = red\n")
    application.reload()
    assert application.snapshot is first
    assert "configuration not reloaded, still serving the one read before:" in caplog.text
    assert "unknown key 'colour' in [slurmrestd]" in caplog.text
    path.write_text(path.read_text().replace("colour = red\n", "")
                    .replace("allowed_partitions = norm, quick", "allowed_partitions = quick"))
    application.reload()
    assert application.snapshot.config.allowed_partitions == ("quick",)
    assert application.cfg.workers == 3  # gunicorn's own options read again


def test_a_reload_with_a_broken_gunicorn_conf_keeps_gunicorn_s_configuration(
        application: server.HpcapiApplication, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "gunicorn.conf.py"
    broken.write_text("workers = \n")
    monkeypatch.setattr("sys.argv", ["hpcapi-server serve", "-c", str(broken)])
    before = application.cfg
    application.reload()
    assert application.cfg is before


def test_the_metrics_directory_keeps_only_live_processes_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    live, dead = os.getpid(), 2**22 + 12345  # above any pid_max: no such process
    for name in (f"counter_{live}.db", f"gauge_livesum_{dead}.db", f"histogram_{dead}.db",
                 "journal.sqlite"):
        (directory / name).write_bytes(b"x")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    server.prepare_metrics_directory(str(directory), os.getuid(), os.getgid())
    assert sorted(p.name for p in directory.iterdir()) == [f"counter_{live}.db",
                                                           "journal.sqlite"]
    assert os.environ.pop("PROMETHEUS_MULTIPROC_DIR") == str(directory)
