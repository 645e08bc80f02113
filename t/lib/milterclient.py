"""milterclient - the MTA side of the Sendmail milter protocol v6, as Postfix
speaks it, for driving a milter from tests.

SYNOPSIS
    from milterclient import MilterClient, send_message
    r = send_message("unix:/path/sock", "192.0.2.1", "mail.example.com",
                     "alice@example.com", ["bob@test.local"], raw_bytes,
                     macros={"j": "mx.test.local"}, auth=None)
    r.action            # 'accept' 'continue' 'reject' 'tempfail' 'discard'
    r.reply             # "550 5.7.1 ..." or None
    r.headers_added     # [(name, value)]           SMFIR_ADDHEADER
    r.headers_inserted  # [(index, name, value)]    SMFIR_INSHEADER
    r.headers_changed   # [(index, name, value)]    SMFIR_CHGHEADER, "" = delete
    r.quarantine        # reason string or None     SMFIR_QUARANTINE
    r.stage             # event that produced the decision ('eom', 'rcpt', ...)

    c = MilterClient("inet:8891@127.0.0.1"); c.open()
    c.connect("[192.0.2.1]", "4", 54321, "192.0.2.1", macros={...})
    r = c.message(sender, rcpts, raw_bytes)       # MAIL..EOM, then ABORT
    r = c.message(..., abort_at="body")            # SMFIC_ABORT mid-message
    c.quit()

DESCRIPTION
    Packets are a 4-byte big-endian length (command byte included), one
    command byte and the data; strings are NUL-terminated.  open() sends
    SMFIC_OPTNEG offering version 6, all actions (SMFI_CURR_ACTS) and all
    protocol steps (SMFI_CURR_PROT); the milter's answer decides which
    events are not sent (SMFIP_NO*), which events get no reply
    (SMFIP_NR_*), whether the space after a header colon is kept
    (SMFIP_HDR_LEADSPC), and its macro lists (SMFIR_SETSYMLIST data after
    the three words) restrict the macros sent, as in Postfix.

    Like Postfix (src/milter/milter8.c): macros of a stage are sent in one
    SMFIC_MACRO packet before the event even when the event itself is
    skipped; a folded header is sent with its line breaks as "\\n" and the
    first space (not tab) after the colon removed; the body is sent with
    CRLF line ends in chunks of at most 65535 bytes; after each message
    the client sends SMFIC_ABORT (Postfix's mail_reset), and quit() sends
    one more SMFIC_ABORT before SMFIC_QUIT, so milters must cope with
    abort after end-of-message.  postfix_harness.t checks this packet
    sequence against a real Postfix 3.7.  SMFIR_SKIP stops further events
    of that type (body chunks).  SMFIR_PROGRESS is consumed silently.

    Replies: 'r' gives reply "550 5.7.1 Command rejected", 't' gives
    "451 4.7.1 Service unavailable - try again later" (Postfix's texts);
    'y' gives the milter's text, action 'reject' for 5xx, 'tempfail' for
    4xx.  A final accept/reject/tempfail/discard before end-of-message ends
    the message early (the remaining events are not sent), like Postfix.

DIAGNOSTICS
    MilterError for protocol violations, EOF and timeouts (default 10 s per
    read).  A packet longer than 2 * 65535 bytes is refused, as Postfix
    does.

BUGS
    No SMFIR_REPLBODY application: body replacement chunks are collected in
    .body_replacement, not applied.  No SMFIC_UNKNOWN.
"""

import random
import re
import socket
import struct

# Commands (MTA -> milter).
SMFIC_ABORT = b"A"
SMFIC_BODY = b"B"
SMFIC_CONNECT = b"C"
SMFIC_MACRO = b"D"
SMFIC_BODYEOB = b"E"
SMFIC_HELO = b"H"
SMFIC_QUIT_NC = b"K"
SMFIC_HEADER = b"L"
SMFIC_MAIL = b"M"
SMFIC_EOH = b"N"
SMFIC_OPTNEG = b"O"
SMFIC_QUIT = b"Q"
SMFIC_RCPT = b"R"
SMFIC_DATA = b"T"

# Replies (milter -> MTA).
SMFIR_ADDRCPT = b"+"
SMFIR_DELRCPT = b"-"
SMFIR_ADDRCPT_PAR = b"2"
SMFIR_SHUTDOWN = b"4"
SMFIR_ACCEPT = b"a"
SMFIR_REPLBODY = b"b"
SMFIR_CONTINUE = b"c"
SMFIR_DISCARD = b"d"
SMFIR_CHGFROM = b"e"
SMFIR_CONN_FAIL = b"f"
SMFIR_ADDHEADER = b"h"
SMFIR_INSHEADER = b"i"
SMFIR_SETSYMLIST = b"l"
SMFIR_CHGHEADER = b"m"
SMFIR_PROGRESS = b"p"
SMFIR_QUARANTINE = b"q"
SMFIR_REJECT = b"r"
SMFIR_SKIP = b"s"
SMFIR_TEMPFAIL = b"t"
SMFIR_REPLYCODE = b"y"

# Protocol flags.
SMFIP_NOCONNECT = 0x1
SMFIP_NOHELO = 0x2
SMFIP_NOMAIL = 0x4
SMFIP_NORCPT = 0x8
SMFIP_NOBODY = 0x10
SMFIP_NOHDRS = 0x20
SMFIP_NOEOH = 0x40
SMFIP_NR_HDR = 0x80
SMFIP_NOUNKNOWN = 0x100
SMFIP_NODATA = 0x200
SMFIP_SKIP = 0x400
SMFIP_RCPT_REJ = 0x800
SMFIP_NR_CONN = 0x1000
SMFIP_NR_HELO = 0x2000
SMFIP_NR_MAIL = 0x4000
SMFIP_NR_RCPT = 0x8000
SMFIP_NR_DATA = 0x10000
SMFIP_NR_UNKN = 0x20000
SMFIP_NR_EOH = 0x40000
SMFIP_NR_BODY = 0x80000
SMFIP_HDR_LEADSPC = 0x100000
SMFI_CURR_PROT = 0x1FFFFF

# Action flags.
SMFIF_ADDHDRS = 0x1
SMFIF_CHGBODY = 0x2
SMFIF_ADDRCPT = 0x4
SMFIF_DELRCPT = 0x8
SMFIF_CHGHDRS = 0x10
SMFIF_QUARANTINE = 0x20
SMFIF_CHGFROM = 0x40
SMFIF_ADDRCPT_PAR = 0x80
SMFIF_SETSYMLIST = 0x100
SMFI_CURR_ACTS = 0x1FF

MILTER_CHUNK_SIZE = 65535
MAX_PACKET = 2 * MILTER_CHUNK_SIZE

# Macro stages for SMFIR_SETSYMLIST (SMFIM_*), mapped to the command code.
SYMLIST_STAGES = {0: SMFIC_CONNECT, 1: SMFIC_HELO, 2: SMFIC_MAIL,
                  3: SMFIC_RCPT, 4: SMFIC_DATA, 5: SMFIC_BODYEOB,
                  6: SMFIC_EOH}

# event: (skip flag, no-reply flag, stage name)
EVENTS = {
    SMFIC_CONNECT: (SMFIP_NOCONNECT, SMFIP_NR_CONN, "connect"),
    SMFIC_HELO: (SMFIP_NOHELO, SMFIP_NR_HELO, "helo"),
    SMFIC_MAIL: (SMFIP_NOMAIL, SMFIP_NR_MAIL, "mail"),
    SMFIC_RCPT: (SMFIP_NORCPT, SMFIP_NR_RCPT, "rcpt"),
    SMFIC_DATA: (SMFIP_NODATA, SMFIP_NR_DATA, "data"),
    SMFIC_HEADER: (SMFIP_NOHDRS, SMFIP_NR_HDR, "header"),
    SMFIC_EOH: (SMFIP_NOEOH, SMFIP_NR_EOH, "eoh"),
    SMFIC_BODY: (SMFIP_NOBODY, SMFIP_NR_BODY, "body"),
    SMFIC_BODYEOB: (0, 0, "eom"),
}

# Which stage Postfix sends each macro at (postconf -d milter_*_macros).
POSTFIX_MACRO_STAGES = {
    "j": "connect", "{daemon_name}": "connect", "{daemon_addr}": "connect",
    "v": "connect", "_": "connect",
    "{tls_version}": "helo", "{cipher}": "helo", "{cipher_bits}": "helo",
    "{cert_subject}": "helo", "{cert_issuer}": "helo",
    "{auth_type}": "mail", "{auth_authen}": "mail", "{auth_author}": "mail",
    "{mail_addr}": "mail", "{mail_host}": "mail", "{mail_mailer}": "mail",
    "{rcpt_addr}": "rcpt", "{rcpt_host}": "rcpt", "{rcpt_mailer}": "rcpt",
    "i": "data",  # and eoh, eom; Postfix has no queue id yet at MAIL/RCPT
}
STAGES = ("connect", "helo", "mail", "rcpt", "data", "eoh", "eom")

REJECT_TEXT = "550 5.7.1 Command rejected"
TEMPFAIL_TEXT = "451 4.7.1 Service unavailable - try again later"


class MilterError(Exception):
    """Protocol violation, EOF or timeout talking to the milter."""


class Result(object):
    """Outcome of one event or of a whole message."""

    def __init__(self, stage=None):
        self.stage = stage
        self.action = "continue"
        self.reply = None
        self.headers_added = []
        self.headers_inserted = []
        self.headers_changed = []
        self.quarantine = None
        self.rcpts_added = []
        self.rcpts_deleted = []
        self.mail_from_changed = None
        self.body_replacement = None
        self.rcpt_results = []
        self.replies = []   # raw (command byte, data bytes) in order
        self.shutdown = False
        self.skip = False
        self.queue_id = None

    @property
    def final(self):
        return self.action in ("accept", "reject", "tempfail", "discard")

    def header_value(self, name):
        """Value of the first added/inserted header called name, or None."""
        for hname, value in self.headers_added:
            if hname.lower() == name.lower():
                return value
        for _idx, hname, value in self.headers_inserted:
            if hname.lower() == name.lower():
                return value
        return None

    def __repr__(self):
        return ("Result(stage=%r, action=%r, reply=%r, added=%r, inserted=%r,"
                " changed=%r, quarantine=%r)"
                % (self.stage, self.action, self.reply, self.headers_added,
                   self.headers_inserted, self.headers_changed,
                   self.quarantine))


def _cstr(value):
    if isinstance(value, bytes):
        data = value
    else:
        data = str(value).encode("utf-8", "surrogateescape")
    if b"\0" in data:
        raise ValueError("NUL byte in milter string %r" % (data,))
    return data + b"\0"


def _split_cstrs(data, count=None):
    """Split NUL-terminated strings; with count, exactly that many."""
    if not data.endswith(b"\0"):
        raise MilterError("string not NUL-terminated: %r" % (data[:80],))
    parts = data[:-1].split(b"\0")
    if count is not None and len(parts) != count:
        raise MilterError("expected %d strings, got %d: %r"
                          % (count, len(parts), data[:80]))
    return [p.decode("utf-8", "surrogateescape") for p in parts]


def _macro_key(name):
    return name[1:-1] if name.startswith("{") and name.endswith("}") else name


def parse_endpoint(spec):
    """'unix:/p', 'local:/p', '/p', 'inet:PORT@HOST', 'inet:HOST:PORT',
    'inet6:PORT@HOST' -> (family, address)."""
    if spec.startswith("/"):
        return socket.AF_UNIX, spec
    kind, _, rest = spec.partition(":")
    if kind in ("unix", "local"):
        return socket.AF_UNIX, rest
    if kind in ("inet", "inet6"):
        if "@" in rest:
            port, _, host = rest.partition("@")
        else:
            host, _, port = rest.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        fam = socket.AF_INET6 if kind == "inet6" or ":" in host else socket.AF_INET
        return fam, (host, int(port))
    raise ValueError("bad milter endpoint %r" % (spec,))


def queue_id():
    """A Postfix-looking short queue id (10 hex digits, upper case)."""
    return "%010X" % random.getrandbits(40)


class MilterClient(object):
    """One MTA-to-milter connection (one SMTP session)."""

    def __init__(self, endpoint, timeout=10.0, version=6,
                 actions=SMFI_CURR_ACTS, protocol=SMFI_CURR_PROT,
                 postfix_abort=True):
        self.endpoint = endpoint
        self.timeout = timeout
        self.offer_version = version
        self.offer_actions = actions
        self.offer_protocol = protocol
        self.postfix_abort = postfix_abort
        self.sock = None
        self.version = None
        self.actions = None
        self.protocol = None
        self.symlists = {}      # command byte -> set of macro keys
        self.skip_event = None
        self.connected = False
        self.sent = []          # (command byte, data) log, for debugging

    # ---- transport -------------------------------------------------
    def open(self):
        family, addr = parse_endpoint(self.endpoint)
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(addr)
        except OSError:
            sock.close()
            raise
        self.sock = sock
        self._negotiate()
        return self

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send_packet(self, cmd, data=b""):
        if self.sock is None:
            raise MilterError("not connected")
        self.sent.append((cmd, data))
        try:
            self.sock.sendall(struct.pack("!I", len(data) + 1) + cmd + data)
        except OSError as exc:
            raise MilterError("write %r: %s" % (cmd, exc))

    def _read_exact(self, count):
        chunks = []
        while count > 0:
            try:
                data = self.sock.recv(min(count, 65536))
            except socket.timeout:
                raise MilterError("timeout reading from milter")
            except OSError as exc:
                raise MilterError("read: %s" % exc)
            if not data:
                raise MilterError("EOF from milter")
            chunks.append(data)
            count -= len(data)
        return b"".join(chunks)

    def read_packet(self):
        (length,) = struct.unpack("!I", self._read_exact(4))
        if length < 1:
            raise MilterError("bad packet length %d" % length)
        if length > MAX_PACKET:
            raise MilterError("unreasonable packet length %d" % length)
        body = self._read_exact(length)
        return body[:1], body[1:]

    # ---- negotiation -----------------------------------------------
    def _negotiate(self):
        self.send_packet(SMFIC_OPTNEG, struct.pack(
            "!III", self.offer_version, self.offer_actions,
            self.offer_protocol))
        cmd, data = self.read_packet()
        if cmd != SMFIC_OPTNEG or len(data) < 12:
            raise MilterError("bad OPTNEG reply %r %r" % (cmd, data[:40]))
        self.version, self.actions, self.protocol = struct.unpack(
            "!III", data[:12])
        if self.version > self.offer_version or self.version < 2:
            raise MilterError("milter protocol version %d" % self.version)
        if self.actions & ~self.offer_actions:
            raise MilterError("milter wants actions 0x%x beyond 0x%x"
                              % (self.actions, self.offer_actions))
        rest = data[12:]
        while rest:
            if len(rest) < 5:
                raise MilterError("truncated macro list in OPTNEG")
            (stage,) = struct.unpack("!I", rest[:4])
            end = rest.find(b"\0", 4)
            if end < 0:
                raise MilterError("unterminated macro list in OPTNEG")
            names = rest[4:end].decode("ascii", "replace").split()
            rest = rest[end + 1:]
            if stage in SYMLIST_STAGES:
                self.symlists[SYMLIST_STAGES[stage]] = set(
                    _macro_key(n) for n in names)

    def wants(self, flag):
        return bool(self.protocol & flag)

    # ---- events ----------------------------------------------------
    def send_macros(self, cmd, macros):
        """SMFIC_MACRO for event cmd; macros: dict or list of pairs."""
        if macros is None:
            return
        items = list(macros.items()) if isinstance(macros, dict) else list(macros)
        allowed = self.symlists.get(cmd)
        data = cmd
        for name, value in items:
            if value is None:
                continue
            if allowed is not None and _macro_key(name) not in allowed:
                continue
            data += _cstr(name) + _cstr(value)
        self.send_packet(SMFIC_MACRO, data)

    def event(self, cmd, data=b"", macros=None):
        """Send macros and one event; return its Result (action 'continue'
        when the event is skipped or the milter sends no reply for it)."""
        skip_flag, noreply_flag, stage = EVENTS[cmd]
        result = Result(stage)
        if self.skip_event is not None:
            if self.skip_event == cmd:
                return result
            self.skip_event = None
        self.send_macros(cmd, macros)
        if skip_flag and self.wants(skip_flag):
            return result
        self.send_packet(cmd, data)
        if noreply_flag and self.wants(noreply_flag):
            return result
        self._read_replies(cmd, result)
        return result

    def _read_replies(self, event, result):
        while True:
            cmd, data = self.read_packet()
            result.replies.append((cmd, data))
            if cmd == SMFIR_PROGRESS:
                continue
            if cmd in (SMFIR_CONTINUE, SMFIR_ACCEPT, SMFIR_REJECT,
                       SMFIR_TEMPFAIL, SMFIR_DISCARD, SMFIR_SKIP,
                       SMFIR_SHUTDOWN, SMFIR_CONN_FAIL) and data:
                raise MilterError("reply %r followed by %d data bytes"
                                  % (cmd, len(data)))
            if cmd == SMFIR_CONTINUE:
                return result
            if cmd == SMFIR_ACCEPT:
                result.action = "accept"
                return result
            if cmd == SMFIR_DISCARD:
                result.action = "discard"
                return result
            if cmd == SMFIR_REJECT:
                result.action, result.reply = "reject", REJECT_TEXT
                return result
            if cmd == SMFIR_TEMPFAIL:
                result.action, result.reply = "tempfail", TEMPFAIL_TEXT
                return result
            if cmd in (SMFIR_SHUTDOWN, SMFIR_CONN_FAIL):
                result.action, result.shutdown = "tempfail", True
                result.reply = "421 4.7.0 Server closing connection"
                return result
            if cmd == SMFIR_SKIP:
                if not self.offer_protocol & SMFIP_SKIP:
                    raise MilterError("SMFIR_SKIP not negotiated")
                self.skip_event = event
                result.skip = True
                return result
            if cmd == SMFIR_REPLYCODE:
                text = data.rstrip(b"\0").decode("utf-8", "replace")
                if not re.match(r"^[45]\d\d[ -]", text) or text[4:5] not in (text[0], ""):
                    raise MilterError("malformed reply code %r" % text)
                result.reply = text
                result.action = "reject" if text[0] == "5" else "tempfail"
                return result
            if cmd == SMFIR_QUARANTINE:
                result.quarantine = _split_cstrs(data, 1)[0]
                continue
            if event != SMFIC_BODYEOB:
                raise MilterError("modification %r outside end-of-message"
                                  % (cmd,))
            self._modification(cmd, data, result)

    def _modification(self, cmd, data, result):
        if cmd == SMFIR_ADDHEADER:
            self._need(SMFIF_ADDHDRS, cmd)
            result.headers_added.append(tuple(_split_cstrs(data, 2)))
        elif cmd == SMFIR_INSHEADER:
            self._need(SMFIF_ADDHDRS, cmd)
            if len(data) < 4:
                raise MilterError("short INSHEADER")
            (index,) = struct.unpack("!I", data[:4])
            name, value = _split_cstrs(data[4:], 2)
            result.headers_inserted.append((index, name, value))
        elif cmd == SMFIR_CHGHEADER:
            self._need(SMFIF_CHGHDRS, cmd)
            if len(data) < 4:
                raise MilterError("short CHGHEADER")
            (index,) = struct.unpack("!I", data[:4])
            name, value = _split_cstrs(data[4:], 2)
            if not name:
                raise MilterError("CHGHEADER with empty name")
            result.headers_changed.append((index, name, value))
        elif cmd == SMFIR_ADDRCPT:
            self._need(SMFIF_ADDRCPT, cmd)
            result.rcpts_added.append(_split_cstrs(data, 1)[0])
        elif cmd == SMFIR_ADDRCPT_PAR:
            self._need(SMFIF_ADDRCPT_PAR, cmd)
            result.rcpts_added.append(_split_cstrs(data)[0])
        elif cmd == SMFIR_DELRCPT:
            self._need(SMFIF_DELRCPT, cmd)
            result.rcpts_deleted.append(_split_cstrs(data, 1)[0])
        elif cmd == SMFIR_CHGFROM:
            self._need(SMFIF_CHGFROM, cmd)
            result.mail_from_changed = _split_cstrs(data)[0]
        elif cmd == SMFIR_REPLBODY:
            self._need(SMFIF_CHGBODY, cmd)
            result.body_replacement = (result.body_replacement or b"") + data
        else:
            raise MilterError("unexpected reply %r at end-of-message" % (cmd,))

    def _need(self, flag, cmd):
        if not self.actions & flag:
            raise MilterError("reply %r without negotiated action 0x%x"
                              % (cmd, flag))

    # ---- SMTP-level steps ------------------------------------------
    def connect(self, hostname, family="4", port=0, address="", macros=None):
        self.connected = True
        data = _cstr(hostname) + family.encode("ascii")
        if family != "U":
            data += struct.pack("!H", port) + _cstr(address)
        return self.event(SMFIC_CONNECT, data, macros)

    def helo(self, name, macros=None):
        return self.event(SMFIC_HELO, _cstr(name), macros)

    def mail(self, sender, args=(), macros=None):
        return self.event(SMFIC_MAIL, b"".join(_cstr(a) for a in
                                              [_angle(sender)] + list(args)),
                          macros)

    def rcpt(self, rcpt, args=(), macros=None):
        return self.event(SMFIC_RCPT, b"".join(_cstr(a) for a in
                                              [_angle(rcpt)] + list(args)),
                          macros)

    def data(self, macros=None):
        return self.event(SMFIC_DATA, b"", macros)

    def header(self, name, value, macros=None):
        if not self.wants(SMFIP_HDR_LEADSPC) and value.startswith(" "):
            value = value[1:]
        return self.event(SMFIC_HEADER, _cstr(name) + _cstr(value), macros)

    def eoh(self, macros=None):
        return self.event(SMFIC_EOH, b"", macros)

    def body(self, data, macros=None):
        """Send body bytes in chunks of at most 65535; stop early on a
        final decision or SMFIR_SKIP."""
        result = Result("body")
        for off in range(0, len(data), MILTER_CHUNK_SIZE):
            result = self.event(SMFIC_BODY, data[off:off + MILTER_CHUNK_SIZE],
                                macros)
            if result.final or result.skip or self.skip_event == SMFIC_BODY:
                break
        return result

    def eom(self, macros=None):
        return self.event(SMFIC_BODYEOB, b"", macros)

    def abort(self):
        self.skip_event = None
        self.send_packet(SMFIC_ABORT)

    def quit(self):
        """Postfix at disconnect: SMFIC_ABORT (mail_reset) once the connect
        event was sent, then SMFIC_QUIT; then close."""
        try:
            if self.sock is not None:
                if self.connected:
                    self.abort()
                self.send_packet(SMFIC_QUIT)
        except MilterError:
            pass
        self.close()

    def quit_nc(self):
        self.send_packet(SMFIC_QUIT_NC)

    # ---- whole message ---------------------------------------------
    def message(self, sender, rcpts, message_bytes, macros=None,
                auth=None, abort_at=None, qid=None):
        """MAIL, RCPT..., DATA, headers, EOH, body, EOM, like Postfix; then
        SMFIC_ABORT (Postfix's mail_reset).  Returns the deciding Result
        (stage and action), with per-recipient results in .rcpt_results.
        abort_at in ('mail','rcpt','data','header','eoh','body') sends
        SMFIC_ABORT right after that step and returns action 'aborted'."""
        stages = split_macros(macros)
        qid = qid or queue_id()
        headers, body = parse_message(message_bytes)

        def stage_macros(stage, extra):
            merged = dict(extra)
            merged.update(stages.get(stage, {}))
            return merged

        def done(result):
            if self.postfix_abort and self.sock is not None:
                self.abort()
            return result

        def aborted(stage):
            self.abort()
            r = Result(stage)
            r.action = "aborted"
            return r

        # Postfix 3.7 opens the queue file after RCPT, so "i" is empty at
        # MAIL and RCPT (seen with a real Postfix in postfix_harness.t).
        mail_extra = {"{mail_addr}": _bare(sender),
                      "{mail_mailer}": "smtp",
                      "{mail_host}": _domain(sender) or None}
        mail_extra.update(auth_macros(auth))
        mail_args = []
        if isinstance(auth, dict) and auth.get("author"):
            mail_args.append("AUTH=<%s>" % auth["author"])
        r = self.mail(sender, mail_args, stage_macros("mail", mail_extra))
        if r.final:
            return done(r)
        if abort_at == "mail":
            return aborted("mail")
        rcpt_results = []
        for rcpt in rcpts:
            rr = self.rcpt(rcpt, (), stage_macros("rcpt", {
                "{rcpt_addr}": _bare(rcpt),
                "{rcpt_host}": _domain(rcpt) or None,
                "{rcpt_mailer}": "smtp"}))
            rcpt_results.append(rr)
            if rr.action == "accept":
                # Postfix: accept at RCPT accepts the whole message.
                rr.rcpt_results = rcpt_results
                return done(rr)
        if abort_at == "rcpt":
            return aborted("rcpt")
        if rcpt_results and all(rr.action in ("reject", "tempfail")
                                for rr in rcpt_results):
            last = rcpt_results[-1]
            last.rcpt_results = rcpt_results
            return done(last)
        data_macros = stage_macros("data", {"i": qid})
        r = self.data(data_macros)
        if r.final:
            r.rcpt_results = rcpt_results
            return done(r)
        if abort_at == "data":
            return aborted("data")
        eoh_macros = stage_macros("eoh", {"i": qid})
        for name, value in headers:
            r = self.header(name, value, eoh_macros)
            if r.final:
                r.rcpt_results = rcpt_results
                return done(r)
        self.skip_event = None
        if abort_at == "header":
            return aborted("header")
        r = self.eoh(eoh_macros)
        if r.final:
            r.rcpt_results = rcpt_results
            return done(r)
        if abort_at == "eoh":
            return aborted("eoh")
        eom_macros = stage_macros("eom", {"i": qid})
        if body:
            r = self.body(body, eom_macros)
            if r.final:
                r.rcpt_results = rcpt_results
                return done(r)
        self.skip_event = None
        if abort_at == "body":
            return aborted("body")
        r = self.eom(eom_macros)
        r.rcpt_results = rcpt_results
        r.queue_id = qid
        return done(r)


def _angle(addr):
    addr = addr.strip()
    return addr if addr.startswith("<") else "<%s>" % addr


def _bare(addr):
    return addr.strip().strip("<>")


def _domain(addr):
    bare = _bare(addr)
    return bare.rpartition("@")[2] if "@" in bare else ""


def auth_macros(auth):
    """auth: None, a user name, or dict(authen=, type=, author=)."""
    if not auth:
        return {}
    if isinstance(auth, str):
        auth = {"authen": auth}
    return {"{auth_type}": auth.get("type", "PLAIN"),
            "{auth_authen}": auth.get("authen"),
            "{auth_author}": auth.get("author")}


def split_macros(macros):
    """macros: {stage: {name: value}} and/or {name: value}; plain names go
    to the stage Postfix sends them at (connect when unknown)."""
    stages = {}
    for key, value in (macros or {}).items():
        if key in STAGES and isinstance(value, dict):
            stages.setdefault(key, {}).update(value)
        else:
            stage = POSTFIX_MACRO_STAGES.get(key, "connect")
            stages.setdefault(stage, {})[key] = value
    return stages


HEADER_NAME = re.compile(rb"^([\x21-\x39\x3b-\x7e]+)[ \t]*:")


def parse_message(raw):
    """Split raw RFC 5322 bytes into ([(name, value)], body_bytes) the way
    Postfix hands them to a milter: folded lines joined with "\\n", value
    starting right after the colon (the single leading space is removed by
    MilterClient.header unless SMFIP_HDR_LEADSPC), body lines ended with
    CRLF.  A line that is neither a header nor a continuation ends the
    header block and starts the body (no blank separator)."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    lines = [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]
    headers = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == b"":
            i += 1
            break
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + b"\n" + line)
            i += 1
            continue
        m = HEADER_NAME.match(line)
        if not m:
            break
        headers.append((m.group(1), line[m.end():]))
        i += 1
    body = b"".join(ln + b"\r\n" for ln in lines[i:])
    dec = [(n.decode("utf-8", "surrogateescape"),
            v.decode("utf-8", "surrogateescape")) for n, v in headers]
    return dec, body


def connect_macros(client_ip, client_name=None, hostname="mx.test.local",
                   daemon_addr="127.0.0.1"):
    name = client_name or "unknown"
    return {"j": hostname, "{daemon_name}": hostname,
            "{daemon_addr}": daemon_addr, "v": "Postfix 3.7.11",
            "_": "%s [%s]" % (name, client_ip)}


def send_message(endpoint, client_ip, helo, mailfrom, rcpts, message_bytes,
                 macros=None, auth=None, client_name=None, client_port=54321,
                 timeout=10.0, qid=None, **client_args):
    """One SMTP session with one message: connect, HELO, message, QUIT.
    Returns the deciding Result (see MilterClient.message); a decision at
    connect or HELO ends the session there.  The milter connection is
    always closed.  qid: the queue id ("i" macro), random when None."""
    stages = split_macros(macros)
    client = MilterClient(endpoint, timeout=timeout, **client_args)
    client.open()
    try:
        family = "6" if ":" in client_ip else "4"
        conn = connect_macros(client_ip, client_name)
        conn.update(stages.get("connect", {}))
        sm_name = client_name or "[%s]" % client_ip
        r = client.connect(sm_name, family, client_port, client_ip, conn)
        if r.final:
            return r
        r = client.helo(helo, stages.get("helo", {}))
        if r.final:
            return r
        rest = {k: v for k, v in stages.items() if k not in ("connect", "helo")}
        return client.message(mailfrom, rcpts, message_bytes, macros=rest,
                              auth=auth, qid=qid)
    finally:
        client.quit()


__all__ = ["MilterClient", "MilterError", "Result", "send_message",
           "parse_message", "parse_endpoint", "queue_id", "connect_macros"]
