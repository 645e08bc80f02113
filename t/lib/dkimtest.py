"""dkimtest - DKIM keys, key records and signed messages for tests.

SYNOPSIS
    sys.path.insert(0, 't/lib'); import dkimtest
    key = dkimtest.Key.rsa(2048)            # or rsa(1024), rsa(512),
    key = dkimtest.Key.ed25519()            #    ed25519()
    zone = key.zone_line('sel', 'example.com')    # for testdns
    msg = dkimtest.message(frm='a@example.com', body='hi\\n')
    signed = dkimtest.sign(msg, key, 'sel', 'example.com',
                           canon='relaxed/relaxed', length=False,
                           algorithm=None, headers=None)

DESCRIPTION
    Keys are generated at run time with python3-cryptography (Debian),
    never stored.  Key.record() is the DNS TXT text of the key
    ("v=DKIM1; k=rsa; p=..."), zone_line() the line for a testdns zone
    (NAME TXT "..."; testdns splits strings over 255 bytes).  sign() uses
    Debian's python3-dkim (dkim.sign) and returns the message with the
    DKIM-Signature header prepended (bytes, CRLF line ends); several
    sign() calls stack signatures.  message() builds a small RFC 5322
    message with CRLF line ends.  Run under /usr/bin/python3.
"""

import base64
import zlib

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa


class Key:
    """A DKIM key pair: kind 'rsa' or 'ed25519'."""

    def __init__(self, kind, private, public_b64, bits):
        self.kind = kind
        self.private = private        # what dkim.sign() wants as privkey
        self.public_b64 = public_b64  # the p= value
        self.bits = bits

    @classmethod
    def rsa(cls, bits=2048):
        k = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        pem = k.private_bytes(serialization.Encoding.PEM,
                              serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption())
        der = k.public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo)
        return cls('rsa', pem, base64.b64encode(der).decode(), bits)

    @classmethod
    def ed25519(cls):
        k = ed25519.Ed25519PrivateKey.generate()
        seed = k.private_bytes(serialization.Encoding.Raw,
                               serialization.PrivateFormat.Raw,
                               serialization.NoEncryption())
        pub = k.public_key().public_bytes(serialization.Encoding.Raw,
                                          serialization.PublicFormat.Raw)
        return cls('ed25519', base64.b64encode(seed),
                   base64.b64encode(pub).decode(), 256)

    def algorithm(self):
        return b'ed25519-sha256' if self.kind == 'ed25519' else b'rsa-sha256'

    def record(self, extra=''):
        """TXT text of the key record; extra is appended ("; t=s")."""
        return 'v=DKIM1; k=%s; p=%s%s' % (self.kind, self.public_b64, extra)

    def zone_line(self, selector, domain, extra=''):
        return txt_line('%s._domainkey.%s' % (selector, domain),
                        self.record(extra))


def txt_line(name, text):
    """A testdns zone line with one TXT record holding text."""
    quoted = text.replace('\\', '\\\\').replace('"', '\\"')
    return '%s TXT "%s"' % (name, quoted)


def message(frm='alice@example.com', to='bob@example.net',
            subject='test message', body='Hello.\n', extra_headers=()):
    """A small message (bytes, CRLF line ends)."""
    lines = ['From: %s' % frm, 'To: %s' % to, 'Subject: %s' % subject,
             'Date: Mon, 01 Jan 2024 00:00:00 +0000',
             'Message-ID: <test.%d@example.com>' % zlib.crc32(body.encode())]
    lines += list(extra_headers)
    head = '\r\n'.join(lines) + '\r\n\r\n'
    return head.encode() + body.replace('\r\n', '\n').replace(
        '\n', '\r\n').encode()


def sign(msg, key, selector, domain, canon='relaxed/simple', length=False,
         algorithm=None, headers=None, identity=None):
    """Return msg with a DKIM-Signature prepended (bytes).

    canon is "header/body"; algorithm defaults to the key's (pass
    b'rsa-sha1' for RFC 8301 tests); headers is a list of header names
    to sign (default: python3-dkim's choice)."""
    hc, bc = canon.split('/')
    sig = dkim.sign(msg, selector.encode(), domain.encode(), key.private,
                    identity=identity.encode() if identity else None,
                    canonicalize=(hc.encode(), bc.encode()),
                    signature_algorithm=algorithm or key.algorithm(),
                    include_headers=[h.encode() for h in headers]
                    if headers else None,
                    length=length)
    return sig + msg
