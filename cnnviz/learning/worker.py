"""Trainings in processes of their own: the server sends the job and follows the progress.

Why not train in the server's own threads: a training inside the server shares its one
interpreter with every visitor's clicks and slows them all (``bench/bench_load.py`` measures
it; the figures are in ``bench/README.md``), while a training in its own process at a lower
priority barely touches them. And each training in the server left memory behind (a
Keras/TensorFlow leak); a process gives everything back when it exits.

* :class:`Trainer` — one worker process (``python -m cnnviz.learning._worker_boot``). It lowers
  its priority, imports TensorFlow (seconds), says it is ready, trains one model, sends the
  result and exits. :meth:`Trainer.train` follows it, calling ``on_update`` with the live
  :class:`~cnnviz.learning.training.TrainingRun` as :func:`cnnviz.learning.training.train` does.
* :class:`TrainerPool` — at most ``limit`` trainings at once, and one worker kept ready ahead of
  time (:meth:`TrainerPool.warm`), so that pressing Train does not wait for TensorFlow's import.

The two processes talk over a socket pair with :mod:`multiprocessing.connection`. Server to
worker: ``("train", spec, data, update_every, seconds, memory_mb)``, later maybe ``("stop",)``.
Worker to server: ``("ready",)``, ``("progress", run, offset)`` at most every ``update_every``
seconds (the run's per-batch lists hold only the batches from ``offset`` on, its kernel
snapshots only those taken since the last report), ``("scoring",
True)`` when it starts scoring the test digits (at an epoch's end, and once its batches are
over) and ``("scoring", False)`` when an epoch's scoring is done, then ``("done", trained)`` or
``("error", message)``. A worker whose server goes away sees the socket close and exits; an idle
ready worker exits after ``idle_timeout`` seconds.

Limits that hold even if an estimate (:func:`cnnviz.learning.training.check_limits`) is wrong:

* memory: a thread of the server reads the worker's resident size (``/proc/PID/statm``) ten
  times a second and kills it beyond ``memory_mb``. Not ``RLIMIT_AS``: TensorFlow reserves far
  more address space than it uses (3 GB of it for a 1.2 GB training, measured), and a failed
  allocation inside TensorFlow aborts without a message. ``RLIMIT_DATA`` at twice the limit
  stays as a backstop should the server's thread not run;
* time: :meth:`Trainer.train`'s ``timeout`` kills the worker; inside the worker, ``alarm()``
  (whose default action ends the process) and ``RLIMIT_CPU`` end it a minute later even if the
  server has stopped watching;
* stop: :meth:`Trainer.stop` gives the worker ``STOP_GRACE`` seconds to finish its batch, then
  kills it: one slow batch cannot keep a visitor waiting. A worker scoring the test digits has
  ``SCORE_TIMEOUT`` seconds instead: what it learned is whole, and worth the wait.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, Pipe

from cnnviz._validate import env_int
from cnnviz.learning.data import Dataset
from cnnviz.learning.model import ModelSpec
from cnnviz.learning.training import (
    DEFAULT_UPDATE_EVERY,
    TrainedModel,
    TrainingLimits,
    TrainingRun,
    TrainingSlots,
    check_data,
    check_limits,
    format_duration,
    max_trainings,
    training_limits,
)

__all__ = ["Trainer", "TrainerPool", "TrainingError", "training_niceness"]

IDLE_TIMEOUT = 600.0  # seconds a ready worker waits for a job before it exits
STOP_GRACE = 5.0  # seconds a stopped training has to end its batch before it is killed
SCORE_TIMEOUT = 30.0  # seconds a stopped training has to score what it learned
STOP_TIMEOUT = STOP_GRACE + SCORE_TIMEOUT  # the longest Trainer.stop() takes
BACKSTOP = 60.0  # seconds the worker's own alarm allows beyond the server's deadline
WATCH_EVERY = 0.1  # seconds between two looks at a worker's memory
SPARE_MARGIN = 30.0  # a ready worker this close to its idle timeout is not handed out
POLL = 0.25  # seconds between calls to on_update while the worker loads TensorFlow
QUIET = 1.0  # seconds without news from a training after which on_update is called anyway


class TrainingError(RuntimeError):
    """A training failed in its worker, or the worker ended without a result."""


def training_niceness() -> int:
    """The nice value of worker processes: ``$CNNVIZ_TRAINING_NICE``, else 10 (0 = unchanged)."""
    return env_int("CNNVIZ_TRAINING_NICE", 10, minimum=0, maximum=19)


class Trainer:
    """One worker process that trains one model.

    Parameters
    ----------
    idle_timeout : float
        Seconds the worker waits for its job once ready; then it exits.
    niceness : int, optional
        Added to the worker's nice value before it starts any thread, so every thread of the
        training (TensorFlow's pools included) lets page interactions go first. Defaults to
        :func:`training_niceness`.

    Examples
    --------
    >>> from cnnviz.learning.data import load_sample
    >>> trainer = Trainer()  # doctest: +SKIP
    >>> trained = trainer.train(ModelSpec(epochs=1), load_sample())  # doctest: +SKIP
    >>> trainer.close()  # doctest: +SKIP
    """

    def __init__(self, idle_timeout: float = IDLE_TIMEOUT, niceness: int | None = None) -> None:
        niceness = training_niceness() if niceness is None else niceness
        ours, theirs = Pipe(duplex=True)
        env = dict(os.environ, CNNVIZ_WORKER_NICE=str(niceness))
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        command = [
            sys.executable,
            "-m",
            "cnnviz.learning._worker_boot",
            "--fd",
            str(theirs.fileno()),
        ]
        command += ["--idle-timeout", str(idle_timeout)]
        # Deliberately in the server's session: Linux shares the CPU fairly between sessions
        # (autogroups) before nice values count, so a worker in a session of its own took as
        # much CPU as the whole server (bench/bench_load.py shows it in the visitors' p95).
        self._process = subprocess.Popen(
            command, pass_fds=[theirs.fileno()], env=env, stdin=subprocess.DEVNULL
        )
        theirs.close()
        self.started = time.monotonic()
        self.idle_timeout = idle_timeout
        self._conn: Connection = ours
        self._ready = False
        self._sent = False
        self._scoring = False  # the worker said it is scoring the test digits
        self._ended_because: str | None = None  # set when this side killed the worker
        self.result: TrainedModel | None = None
        self.last_run: TrainingRun | None = None  # the latest progress the worker reported
        self.note: str | None = None  # why stop() could keep no model

    def __repr__(self) -> str:
        state = "ready" if self._ready else "starting"
        if self.result is not None:
            state = "done"
        return f"Trainer(pid={self.pid}, {state})"

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def alive(self) -> bool:
        """True while the worker process runs."""
        return self._process.poll() is None

    @property
    def scoring(self) -> bool:
        """True while the worker scores the test digits (at an epoch's end, or at the end)."""
        return self._scoring

    @property
    def sent(self) -> bool:
        """True once the job has gone to the worker (before that it can serve another caller)."""
        return self._sent

    def wait_ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for TensorFlow to be loaded; True once it is."""
        if not self._ready:
            message = self._receive(timeout)
            if message is not None:
                if message[0] != "ready":
                    raise TrainingError(f"the training process said {message[0]!r} first.")
                self._ready = True
        return self._ready

    def train(
        self,
        spec: ModelSpec,
        data: Dataset,
        *,
        on_update: Callable[[TrainingRun], None] | None = None,
        update_every: float = DEFAULT_UPDATE_EVERY,
        timeout: float | None = None,
        memory_mb: int | None = None,
    ) -> TrainedModel:
        """Train a fresh model for ``spec`` on ``data`` in the worker and return it.

        Parameters
        ----------
        on_update : callable, optional
            ``on_update(run)`` with the live record: every ``POLL`` seconds while the worker
            loads TensorFlow (``run.status == "starting"``), then as the training reports, and
            at least every ``QUIET`` seconds. If it raises, the exception propagates and the
            training goes on in the worker until :meth:`stop` or :meth:`close`.
        timeout : float, optional
            Give up (kill the worker, raise TrainingError) after this many seconds in all.
            The worker also ends itself ``BACKSTOP`` seconds later (``alarm``, ``RLIMIT_CPU``).
        memory_mb : int, optional
            Kill the worker (and raise TrainingError) once its resident memory exceeds this
            many MB; read ten times a second from ``/proc`` (Linux), with ``RLIMIT_DATA`` at
            twice as much in the worker as a backstop.

        Returns
        -------
        TrainedModel
            As :func:`~cnnviz.learning.training.train_new_model` returns it, also kept as
            :attr:`result`.

        Raises
        ------
        TrainingError
            With the worker's message if training failed, or if the worker ended without one.
        """
        if self._sent:
            raise TrainingError("a Trainer trains one model; start another for the next.")
        deadline = math.inf if timeout is None else time.monotonic() + timeout
        run = TrainingRun.plan(spec, len(data.x_train))
        run.status = "starting"
        while not self.wait_ready(POLL):
            self._check_deadline(deadline, timeout)
            if on_update is not None:
                on_update(run)
        left = None if timeout is None else max(1.0, deadline - time.monotonic())
        backstop = None if left is None else left + BACKSTOP
        try:
            self._conn.send(("train", spec, data, update_every, backstop, memory_mb))
        except OSError as error:  # the worker went away between "ready" and now
            raise TrainingError(f"the training process went away ({error}).") from error
        self._sent = True
        if memory_mb is not None:  # once, with the job: a worker given back never had one
            self._watch_memory(memory_mb)
        self.last_run = run
        while True:
            # A caller interrupts from inside on_update, so call it at least once a second
            # (with the last record) even while the worker is busy scoring a long test set.
            if time.monotonic() > deadline:
                return self._end_at_deadline(timeout, on_update)
            message = self._receive(QUIET)
            if message is not None and message[0] == "progress":
                _, news, offset = message
                run = self.last_run = _merged(run, news, offset)
            elif message is not None and message[0] == "scoring":
                self._scoring = message[1]
            elif message is not None and message[0] == "done":
                self.result = message[1]
                if on_update is not None:
                    on_update(self.result.run)
                return self.result
            elif message is not None:
                raise TrainingError(message[1])
            if on_update is not None:
                on_update(run)

    def _check_deadline(self, deadline: float, timeout: float | None) -> None:
        """Kill a worker still loading TensorFlow at the deadline (it has learned nothing)."""
        if time.monotonic() > deadline:
            self._process.kill()
            raise TrainingError(
                f"the training took longer than the {format_duration(timeout)} one training may "
                "take on this server, and was ended."
            )

    def _end_at_deadline(
        self, timeout: float | None, on_update: Callable[[TrainingRun], None] | None
    ) -> TrainedModel:
        """Stop a training at its deadline as Stop would: keep its model if it can be had."""
        limit = f"it reached the {format_duration(timeout)} one training may take on this server"
        trained = self.stop()
        if trained is None:
            raise TrainingError(f"The training was ended: {limit}, and {self.note}.")
        if trained.run is not None and trained.run.status == "stopped":
            trained.run.reason = limit
        if on_update is not None and trained.run is not None:
            on_update(trained.run)
        return trained

    def _watch_memory(self, memory_mb: int) -> None:
        """Kill the worker from a thread of this process once its RSS exceeds ``memory_mb``."""
        statm = f"/proc/{self.pid}/statm"
        if not os.path.exists(statm):  # not Linux: RLIMIT_DATA in the worker still holds
            return
        page = os.sysconf("SC_PAGE_SIZE")
        process = self._process

        def watch() -> None:
            while process.poll() is None:
                try:
                    with open(statm) as file:
                        resident = int(file.read().split()[1]) * page
                except (OSError, ValueError, IndexError):
                    return
                if resident > memory_mb * 2**20:
                    self._ended_because = (
                        f"the training used more than {memory_mb:,} MB of memory, the most one "
                        "training may use on this server, and was ended. Use a smaller batch "
                        "size or a smaller model."
                    )
                    process.kill()
                    return
                time.sleep(WATCH_EVERY)

        threading.Thread(target=watch, name=f"cnnviz-watch-{self.pid}", daemon=True).start()

    def stop(
        self, grace: float = STOP_GRACE, scoring: float = SCORE_TIMEOUT
    ) -> TrainedModel | None:
        """End the training after its current batch and wait for the model it reached.

        Parameters
        ----------
        grace : float
            Seconds the worker has to end its current batch; a worker that has not answered
            by then (one batch of a big model can take minutes) is killed.
        scoring : float
            Seconds it then has to score the model on the test digits and send it.

        Returns
        -------
        TrainedModel or None
            The :attr:`result` (``run.status == "stopped"`` unless it had finished), or None if
            no training was started or no model could be kept; then :attr:`note` says why and
            :attr:`last_run` holds the last progress the worker reported.
        """
        if self.result is not None or not self._sent:
            return self.result
        # A worker scoring the test digits has learned all it will: wait for the score.
        deadline = time.monotonic() + (scoring if self._scoring else grace)
        try:
            self._conn.send(("stop",))
            while (left := deadline - time.monotonic()) > 0:
                message = self._receive(left)
                if message is None:
                    continue
                if message[0] == "progress":
                    _, news, offset = message
                    self.last_run = _merged(self.last_run, news, offset)
                elif message[0] == "scoring":  # give it time to score; then one batch again
                    self._scoring = message[1]
                    deadline = time.monotonic() + (scoring if self._scoring else grace)
                elif message[0] == "done":
                    self.result = message[1]
                    return self.result
                else:  # an error: nothing to keep
                    self.note = f"it failed ({message[1]}), so there is no model to keep"
                    return None
        except (TrainingError, OSError) as error:  # the worker is gone: nothing to wait for
            self.note = f"{str(error).rstrip('.')}, so what it learned could not be kept"
            return None
        self._process.kill()
        self.note = (
            f"it could not score what it learned within {scoring:.0f} s, so its process "
            "was ended and the model could not be kept"
            if self._scoring
            else f"it did not end its batch within {grace:.0f} s of Stop (one batch of this "
            "model takes long), so its process was ended and what it learned could not be kept"
        )
        return None

    def close(self, timeout: float = 1.0) -> None:
        """Let the worker go: close the socket, give it ``timeout`` seconds to exit, then kill it.

        A worker that has sent its result exits at once; one still loading TensorFlow would
        only notice the closed socket seconds later, and has nothing worth waiting for.
        """
        self._conn.close()
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _receive(self, timeout: float | None) -> tuple | None:
        """The next message, or None after ``timeout`` seconds; TrainingError if the worker died."""
        try:
            if self._conn.poll(timeout):
                return self._conn.recv()
            return None
        except (EOFError, OSError):
            pass
        try:
            code = self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            code = self._process.wait()
        if self._ended_because is not None:
            raise TrainingError(self._ended_because)
        hints = {
            -signal.SIGKILL: " (out of memory?)",
            -signal.SIGALRM: " (it ran past its time limit)",
            -signal.SIGXCPU: " (it used up its CPU time)",
        }
        hint = hints.get(code, "")
        raise TrainingError(f"the training process ended unexpectedly, exit code {code}{hint}.")


class TrainerPool:
    """At most ``limit`` trainings at once, with one worker kept ready ahead of time.

    Parameters
    ----------
    limit : int, optional
        Trainings at once: defaults to :func:`cnnviz.learning.training.max_trainings`.
    idle_timeout : float
        How long the ready worker waits for a job before it exits (and frees its memory).

    Attributes
    ----------
    slots : TrainingSlots
        Hold one for as long as a :class:`Trainer` from :meth:`take` is training.
    """

    def __init__(self, limit: int | None = None, idle_timeout: float = IDLE_TIMEOUT) -> None:
        self.slots = TrainingSlots(max_trainings() if limit is None else limit)
        self.idle_timeout = idle_timeout
        self._spare: Trainer | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TrainerPool({self.slots!r}, spare={self._spare!r})"

    def warm(self) -> None:
        """Start a worker now if none is ready or starting, so the next :meth:`take` is instant.

        Not while every slot is busy: a loaded worker holds ~0.65 GB (measured), and this way
        no more than ``limit`` of them ever exist, ready or training.
        """
        with self._lock:
            if self.slots.busy >= self.slots.limit:
                return
            if self._spare is None or not self._spare.alive:
                self._spare = Trainer(self.idle_timeout)

    @property
    def ready(self) -> bool:
        """Whether a worker is loaded (TensorFlow imported) and waiting for a job."""
        with self._lock:
            spare = self._spare
            if spare is None or not spare.alive:
                return False
            try:
                return spare.wait_ready(0)
            except TrainingError:  # it died while loading: the next warm() starts another
                return False

    def take(self) -> Trainer:
        """The ready worker if there is one (else a new one); the caller closes it when done.

        A ready worker about to reach its idle timeout is let go rather than handed out: it
        could exit between this call and the job reaching it.
        """
        with self._lock:
            trainer, self._spare = self._spare, None
        if trainer is not None:
            margin = min(SPARE_MARGIN, trainer.idle_timeout / 2)
            fresh = time.monotonic() - trainer.started < trainer.idle_timeout - margin
            if trainer.alive and fresh:
                return trainer
            trainer.close()
        return Trainer(self.idle_timeout)

    def give_back(self, trainer: Trainer) -> None:
        """Return a worker that got no job (its caller was interrupted while it loaded).

        It becomes the ready worker if there is none, so its TensorFlow import is not wasted;
        otherwise, or if it already has a job, it is let go.
        """
        with self._lock:
            if not trainer.sent and trainer.alive and self._spare is None:
                self._spare = trainer
                return
        trainer.close()

    def run(
        self,
        spec: ModelSpec,
        data: Dataset,
        *,
        on_update: Callable[[TrainingRun], None] | None = None,
        on_wait: Callable[[int, int], None] | None = None,
        keep: Callable[[TrainedModel], None] | None = None,
        lost: Callable[[TrainingRun, str], None] | None = None,
        limits: TrainingLimits | None = None,
    ) -> None:
        """One training's whole life: check, wait for a slot, train in a worker, collect, let go.

        Parameters
        ----------
        on_update : callable, optional
            ``on_update(run)`` with the live record (see :meth:`Trainer.train`).
        on_wait : callable, optional
            ``on_wait(busy, limit)`` while every slot is taken.
        keep : callable, optional
            ``keep(trained)`` receives the model when the training finishes, and also when
            ``on_update`` or ``on_wait`` raises (a click, a closed tab): the training is then
            stopped after its batch and ``keep`` gets the model as far as it got.
        lost : callable, optional
            ``lost(run, why)``: the worker did not hand back a model (killed after Stop's grace,
            or it died); ``run`` is its last reported record.
        limits : TrainingLimits, optional
            Defaults to :func:`cnnviz.learning.training.training_limits` (the environment's).

        Raises
        ------
        ValueError
            The data does not fit the spec (:func:`~cnnviz.learning.training.check_data`);
            nothing was started.
        cnnviz.learning.training.LimitError
            The spec's estimated cost is beyond ``limits``; nothing was started.
        TrainingError
            The training failed; the message is written for a person.
        """
        limits = limits or training_limits()
        check_data(spec, data)
        check_limits(spec, len(data.x_train), len(data.x_test), limits)
        with self.slots.slot(on_wait=on_wait):
            trainer = self.take()
            try:
                trainer.train(
                    spec,
                    data,
                    on_update=on_update,
                    timeout=limits.max_seconds,
                    memory_mb=limits.max_memory_mb,
                )
            finally:  # finished, failed or interrupted: collect what there is, free the process
                if not trainer.sent:  # interrupted while TensorFlow loaded: keep it for later
                    self.give_back(trainer)
                else:
                    trained = trainer.stop()
                    trainer.close()
                    if trained is not None and keep is not None:
                        keep(trained)
                    elif trained is None and trainer.note is not None and lost is not None:
                        lost(trainer.last_run, trainer.note)

    def close(self) -> None:
        """Let the ready worker go."""
        with self._lock:
            trainer, self._spare = self._spare, None
        if trainer is not None:
            trainer.close()


def _bound_self(seconds: float | None, memory_mb: int | None) -> None:
    """The worker's own limits, in case the server stops watching it (see the module notes).

    ``alarm`` ends the process after ``seconds`` of wall time (SIGALRM's default action: no
    handler, so no Python code has to run); ``RLIMIT_CPU`` after as many CPU seconds per CPU;
    ``RLIMIT_DATA`` at twice ``memory_mb`` makes allocations beyond it fail.
    """
    if seconds is not None:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(max(1, math.ceil(seconds)))
        used = resource.getrusage(resource.RUSAGE_SELF)
        cpu = math.ceil(used.ru_utime + used.ru_stime + seconds * (os.cpu_count() or 1))
        _lower_limit(resource.RLIMIT_CPU, cpu)
    if memory_mb is not None:
        _lower_limit(resource.RLIMIT_DATA, 2 * memory_mb * 2**20)


def _lower_limit(which: int, soft: int) -> None:
    """Set a soft resource limit, never above the hard one."""
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(which, (soft, hard))


def _merged(run: TrainingRun, news: TrainingRun, offset: int) -> TrainingRun:
    """``news`` (a report holding the batches from ``offset`` on, and the kernel snapshots
    taken since the last report) added to ``run``."""
    first = news.snapshots[0].step if news.snapshots else math.inf
    return dataclasses.replace(
        news,
        batch_loss=run.batch_loss[:offset] + news.batch_loss,
        batch_accuracy=run.batch_accuracy[:offset] + news.batch_accuracy,
        snapshots=[s for s in run.snapshots if s.step < first] + news.snapshots,
    )


def _serve(conn: Connection, idle_timeout: float) -> None:
    """The worker's side: load TensorFlow, wait for one job, train, send the result."""
    from cnnviz.learning.model import build_model, keras_module
    from cnnviz.learning.training import train

    keras_module()  # the slow part, done before anyone waits for it
    conn.send(("ready",))
    if not conn.poll(idle_timeout):
        return
    try:
        kind, spec, data, update_every, seconds, memory_mb = conn.recv()
    except EOFError:  # the server let this worker go
        return
    _bound_self(seconds, memory_mb)
    stop_requested = False

    def should_stop() -> bool:
        nonlocal stop_requested
        if not stop_requested and conn.poll():  # a "stop", or the server went away
            stop_requested = True
        return stop_requested

    sent = 0  # batches whose values have gone to the server already
    sent_snapshots = 0  # kernel snapshots likewise

    def report(run: TrainingRun) -> None:
        # Only the batches and snapshots since the last report: the whole history would grow
        # with every message, and the server unpickles each one in a page's script thread.
        nonlocal sent, sent_snapshots
        news = dataclasses.replace(
            run,
            batch_loss=run.batch_loss[sent:],
            batch_accuracy=run.batch_accuracy[sent:],
            snapshots=run.snapshots[sent_snapshots:],
        )
        conn.send(("progress", news, sent))
        sent, sent_snapshots = len(run.batch_loss), len(run.snapshots)

    def scoring(now: bool) -> None:  # a Stop meanwhile waits for the score, not for a batch
        conn.send(("scoring", now))

    try:
        model = build_model(spec)
        run = train(
            model,
            data,
            spec,
            on_update=report,
            update_every=update_every,
            should_stop=should_stop,
            on_scoring=scoring,
        )
        scoring(True)  # its batches are over, stopped or finished: the score is all that is left
        trained = TrainedModel.from_keras(model, spec, data, run)  # with its .keras file
    except (BrokenPipeError, ConnectionResetError):
        return
    except Exception as error:  # tell the server what went wrong; it shows the message
        conn.send(("error", f"{type(error).__name__}: {error}"))
        return
    conn.send(("done", trained))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A cnnviz training worker (started by Trainer).")
    parser.add_argument("--fd", type=int, required=True, help="the socket to the server")
    parser.add_argument("--idle-timeout", type=float, default=IDLE_TIMEOUT)
    args = parser.parse_args(argv)
    os.set_inheritable(args.fd, False)  # nothing this starts may hold the server's socket open
    conn = Connection(args.fd)
    try:
        _serve(conn, args.idle_timeout)
    except (BrokenPipeError, ConnectionResetError, EOFError):
        pass  # the server went away: nothing to report to
    finally:
        conn.close()
    sys.stdout.flush()
    # Skip TensorFlow's slow teardown (over a second): everything goes back with the process.
    os._exit(0)
