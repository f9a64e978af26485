"""The few GSS-API calls the client makes, straight into the system's MIT Kerberos library.

python-gssapi binds all of GSS-API and took 70-100 ms to import on the dev machine (2026-12-02),
the largest part of what ``hpcapi submit`` cost after requests was gone; through ctypes, loading
libgssapi_krb5 costs about 5 ms. The client needs only: a credential (the ticket cache, a named
principal's, or a keytab's through a private memory cache), its remaining lifetime, and an
initiator's SPNEGO exchange with ``HTTP@host`` (RFC 2744 and MIT's gss_acquire_cred_from).
It also removes a build: python-gssapi has no Linux wheel, and needs Cython, a compiler and
the Kerberos headers; libgssapi_krb5 comes with every Kerberos client (Debian libgssapi-krb5-2,
RHEL krb5-libs).
"""

from __future__ import annotations

import ctypes
from contextlib import suppress
from ctypes import POINTER, byref, c_char_p, c_size_t, c_uint32, c_void_p

# Major status: the calling and routine error fields (RFC 2744, 3.9.1); the supplementary
# bits below them (GSS_S_CONTINUE_NEEDED is 1) are not errors.
_ERROR_MASK = 0xFFFF0000
_CONTINUE_NEEDED = 1
_GSS_CODE, _MECH_CODE = 1, 2
_INITIATE = 1
_INDEFINITE = 0xFFFFFFFF
# GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG: what requests-gssapi asked for (out-of-sequence
# detection, and the server's AP-REP checked when it sends one).
_FLAGS = 2 | 8

# OIDs, DER-encoded: 1.2.840.113554.1.2.2.1 (a Kerberos principal name), 1.2.840.113554.1.2.1.4
# (a host-based service, "HTTP@host"), 1.3.6.1.5.5.2 (SPNEGO).
_KRB5_PRINCIPAL = b"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x01"
_HOSTBASED_SERVICE = b"\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04"
_SPNEGO = b"\x2b\x06\x01\x05\x05\x02"

_LIBRARIES = ("libgssapi_krb5.so.2", "libgssapi_krb5.so")


class GssError(Exception):
    """A GSS-API call failed; the message is the library's own."""


class LibraryMissing(GssError):
    """The system has no MIT Kerberos GSS-API library."""


class _Buffer(ctypes.Structure):
    _fields_ = [("length", c_size_t), ("value", c_void_p)]


class _Oid(ctypes.Structure):
    _fields_ = [("length", c_uint32), ("elements", c_void_p)]


class _KeyValue(ctypes.Structure):
    _fields_ = [("key", c_char_p), ("value", c_char_p)]


class _KeyValueSet(ctypes.Structure):
    _fields_ = [("count", c_uint32), ("elements", POINTER(_KeyValue))]


class _Library:
    """libgssapi_krb5 with the prototypes of the functions used here."""

    def __init__(self) -> None:
        self.lib = _load()
        status = POINTER(c_uint32)
        handle = c_void_p
        self._declare("gss_import_name", [status, POINTER(_Buffer), POINTER(_Oid),
                                          POINTER(handle)])
        self._declare("gss_release_name", [status, POINTER(handle)])
        self._declare("gss_acquire_cred", [status, handle, c_uint32, c_void_p, ctypes.c_int,
                                           POINTER(handle), c_void_p, status])
        self._declare("gss_acquire_cred_from", [status, handle, c_uint32, c_void_p,
                                                ctypes.c_int, POINTER(_KeyValueSet),
                                                POINTER(handle), c_void_p, status])
        self._declare("gss_inquire_cred", [status, handle, c_void_p, status, c_void_p,
                                           c_void_p])
        self._declare("gss_release_cred", [status, POINTER(handle)])
        self._declare("gss_init_sec_context", [
            status, handle, POINTER(handle), handle, POINTER(_Oid), c_uint32, c_uint32,
            c_void_p, POINTER(_Buffer), c_void_p, POINTER(_Buffer), status, status])
        self._declare("gss_delete_sec_context", [status, POINTER(handle), c_void_p])
        self._declare("gss_release_buffer", [status, POINTER(_Buffer)])
        self._declare("gss_display_status", [status, c_uint32, ctypes.c_int, c_void_p, status,
                                             POINTER(_Buffer)])

    def _declare(self, name: str, arguments: list[object]) -> None:
        function = getattr(self.lib, name)
        function.argtypes = arguments
        function.restype = c_uint32

    def check(self, major: int, minor: c_uint32, what: str) -> None:
        """Raise GssError with the library's messages when ``major`` is an error."""
        if major & _ERROR_MASK:
            messages = self.messages(major, _GSS_CODE) + self.messages(minor.value, _MECH_CODE)
            raise GssError(f"{what}: " + "; ".join(m for m in messages if m))

    def messages(self, code: int, kind: int) -> list[str]:
        """gss_display_status's messages for one status code."""
        found: list[str] = []
        more = c_uint32(0)
        while True:
            minor, text = c_uint32(0), _Buffer()
            if self.lib.gss_display_status(byref(minor), code, kind, None, byref(more),
                                           byref(text)) & _ERROR_MASK:
                return found
            found.append(self.take(text).decode("utf-8", "replace"))
            if not more.value or len(found) > 8:
                return found

    def take(self, buffer: _Buffer) -> bytes:
        """A library-owned buffer's bytes, the buffer released."""
        data = ctypes.string_at(buffer.value, buffer.length) if buffer.length else b""
        self.lib.gss_release_buffer(byref(c_uint32(0)), byref(buffer))
        return data

    def name(self, text: str, kind: bytes) -> c_void_p:
        """An imported name (a principal, or "HTTP@host")."""
        raw = ctypes.create_string_buffer(text.encode("utf-8"))  # alive until the call returns
        buffer = _Buffer(len(raw) - 1, ctypes.cast(raw, c_void_p))
        oid_bytes = ctypes.create_string_buffer(kind, len(kind))
        oid = _Oid(len(kind), ctypes.cast(oid_bytes, c_void_p))
        handle, minor = c_void_p(), c_uint32(0)
        self.check(self.lib.gss_import_name(byref(minor), byref(buffer), byref(oid),
                                            byref(handle)), minor, f"the name {text!r}")
        return handle

    def release_name(self, handle: c_void_p) -> None:
        """Free an imported name."""
        self.lib.gss_release_name(byref(c_uint32(0)), byref(handle))


_LIBRARY: _Library | None = None


def _load() -> ctypes.CDLL:
    """The system's libgssapi_krb5 (MIT Kerberos)."""
    errors = []
    for name in _LIBRARIES:
        try:
            return ctypes.CDLL(name)
        except OSError as err:
            errors.append(str(err))
    raise LibraryMissing("cannot load MIT Kerberos' libgssapi_krb5 (Debian: libgssapi-krb5-2, RHEL:"
                   " krb5-libs): " + "; ".join(errors))


def library() -> _Library:
    """The loaded library, loaded on first use."""
    global _LIBRARY
    if _LIBRARY is None:
        _LIBRARY = _Library()
    return _LIBRARY


class Credential:
    """An initiator's Kerberos credential: the default ticket cache, a principal's, or a
    keytab's (``store``: MIT's credential store, e.g. client_keytab and ccache)."""

    def __init__(self, principal: str | None = None,
                 store: dict[str, str] | None = None) -> None:
        gss = library()
        self._gss = gss
        self.handle = c_void_p()
        name = gss.name(principal, _KRB5_PRINCIPAL) if principal else c_void_p()
        minor, lifetime = c_uint32(0), c_uint32(0)
        try:
            if store:
                items = (_KeyValue * len(store))(*(
                    _KeyValue(key.encode(), value.encode()) for key, value in store.items()))
                pairs = _KeyValueSet(len(store), items)
                major = gss.lib.gss_acquire_cred_from(
                    byref(minor), name, _INDEFINITE, None, _INITIATE, byref(pairs),
                    byref(self.handle), None, byref(lifetime))
            else:
                major = gss.lib.gss_acquire_cred(
                    byref(minor), name, _INDEFINITE, None, _INITIATE, byref(self.handle), None,
                    byref(lifetime))
            gss.check(major, minor, "no credential")
        finally:
            if name:
                gss.release_name(name)

    @property
    def lifetime(self) -> int | None:
        """Seconds left (None: indefinite; 0: expired). MIT looks at the ticket, or gets one
        from the keytab, here: a missing or expired ticket fails now, not on the request."""
        minor, seconds = c_uint32(0), c_uint32(0)
        self._gss.check(self._gss.lib.gss_inquire_cred(byref(minor), self.handle, None,
                                                       byref(seconds), None, None),
                        minor, "no usable credential")
        return None if seconds.value == _INDEFINITE else seconds.value

    def __del__(self) -> None:
        if getattr(self, "handle", None):
            with suppress(Exception):  # at interpreter exit, ctypes may be gone already
                self._gss.lib.gss_release_cred(byref(c_uint32(0)), byref(self.handle))


class InitiatorContext:
    """One SPNEGO exchange as the initiator with ``HTTP@host`` (mutual authentication asked)."""

    def __init__(self, credential: Credential | None, host: str) -> None:
        gss = library()
        self._gss = gss
        self._credential = credential  # kept alive as long as the context uses it
        self._target = gss.name(f"HTTP@{host}", _HOSTBASED_SERVICE)
        self._handle = c_void_p()
        self._mech_bytes = ctypes.create_string_buffer(_SPNEGO, len(_SPNEGO))
        self._mech = _Oid(len(_SPNEGO), ctypes.cast(self._mech_bytes, c_void_p))
        self.complete = False

    def step(self, token: bytes | None = None) -> bytes:
        """The next token to send; ``token``: the server's, after the first step."""
        gss = self._gss
        given = None  # GSS_C_NO_BUFFER: the first step
        if token:
            kept = ctypes.create_string_buffer(token, len(token))  # alive until the call returns
            given = byref(_Buffer(len(token), ctypes.cast(kept, c_void_p)))
        output, minor = _Buffer(), c_uint32(0)
        credential = self._credential.handle if self._credential else c_void_p()
        major = gss.lib.gss_init_sec_context(
            byref(minor), credential, byref(self._handle), self._target, byref(self._mech),
            _FLAGS, 0, None, given, None, byref(output), None, None)
        produced = gss.take(output)
        gss.check(major, minor, "the Kerberos exchange failed")
        self.complete = not major & _CONTINUE_NEEDED
        return produced

    def __del__(self) -> None:
        gss = getattr(self, "_gss", None)
        if gss is None:
            return
        with suppress(Exception):  # at interpreter exit, ctypes may be gone already
            if self._handle:
                gss.lib.gss_delete_sec_context(byref(c_uint32(0)), byref(self._handle), None)
            if self._target:
                gss.release_name(self._target)
