"""Before the SDK: is the workspace URL usable, and does anything answer there?

`WorkspaceClient` construction fetches `/.well-known/databricks-config` with its own retry
budget (refused connections are retried for `retry_timeout_seconds`), and a host that
accepts a connection and never answers holds each attempt for the whole HTTP timeout. So the
checker first looks for itself, inside the run's one deadline, and says which of the three it
is: the name does not resolve, nothing listens (connection refused), or nothing answers.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit

import requests

from servingstack.client.errors import ConfigurationError
from servingstack.client.retry import Backoff, Deadline, wait

# Re-exported: the checks of a URL and a timeout live in `client.urls`, which imports no HTTP library.
from servingstack.client.urls import check_host_url as check_host_url
from servingstack.client.urls import check_timeout as check_timeout

# Refused connections are retried this long at most (a server still starting), inside the deadline.
REFUSED_RETRY_SECONDS = 30.0
DISCOVERY_PATH = "/.well-known/databricks-config"


def _resolve(hostname: str, port: int, deadline: Deadline) -> None:
    """getaddrinfo has no timeout of its own: run it aside and stop waiting at the deadline."""
    outcome: list[BaseException | None] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 - handed to the caller
            outcome.append(error)
        done.set()

    threading.Thread(target=lookup, name="servingstack-resolve", daemon=True).start()
    if not done.wait(deadline.remaining()):
        raise ConfigurationError(f"cannot resolve host {hostname}: no answer from DNS within {deadline.seconds:g} s")
    error = outcome[0]
    if isinstance(error, socket.gaierror):
        raise ConfigurationError(f"cannot resolve host {hostname}: {error.strerror or error}")
    if error is not None:
        raise ConfigurationError(f"cannot resolve host {hostname}: {error}")


def _refused(error: BaseException) -> bool:
    """requests wraps urllib3 wrapping the socket's refusal; its text is the stable part."""
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, ConnectionRefusedError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "Connection refused" in str(error) or "[Errno 111]" in str(error)


def reach(host: str, deadline: Deadline, stop: threading.Event | None = None) -> None:
    """Return once something answers HTTP at `host`; else raise `ConfigurationError` saying why."""
    parts = urlsplit(host)
    hostname = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    _resolve(hostname, port, deadline)
    refused_until = Deadline(min(deadline.remaining(), REFUSED_RETRY_SECONDS))
    backoff = Backoff()
    tried = 0
    while True:
        remaining = deadline.remaining()
        if remaining <= 0:
            raise ConfigurationError(f"no answer from {host} within {deadline.seconds:g} s")
        tried += 1
        try:
            # Any HTTP answer will do (even a 404): the SDK takes it from here.
            requests.get(f"{host}{DISCOVERY_PATH}", timeout=(remaining, remaining), allow_redirects=False).close()
            return
        except requests.exceptions.SSLError:
            return  # a server is there; whether to trust its certificate is the SDK's setting (e.g. insecure)
        except (requests.exceptions.ConnectTimeout, requests.exceptions.ReadTimeout):
            raise ConfigurationError(
                f"no answer from {host} within {deadline.seconds:g} s: the connection "
                "was accepted (or is pending) but no HTTP answer came"
            ) from None
        except requests.exceptions.ConnectionError as error:
            if not _refused(error):
                raise ConfigurationError(f"cannot connect to {host}: {_first_line(error)}") from None
            delay = backoff.next()
            if delay >= refused_until.remaining():
                raise ConfigurationError(
                    f"connection refused by {hostname}:{port}: nothing listens at {host} (tried {tried} "
                    f"time{'s' if tried != 1 else ''} in {refused_until.seconds - refused_until.remaining():.0f} s)"
                ) from None
            wait(stop, delay)


def _first_line(error: BaseException) -> str:
    return str(error).splitlines()[0][:300] if str(error) else type(error).__name__
