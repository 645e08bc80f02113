#!/usr/bin/python3
"""policy_html.t - the self-contained HTML page of dmarcwarden-policy html:
no external resource, untrusted strings escaped, and the page opened from
a local file in headless Debian chromium: the JavaScript ran without
error, the chart SVG elements are there with their bars and points, and a
screenshot is saved under t/out/policy_html/.  The chromium part is
skipped (with the reason) when chromium is not installed."""

import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import harness  # noqa: E402
import reportgen  # noqa: E402
import tap  # noqa: E402
from reportgen import NOW, START, run  # noqa: E402

if not os.access(reportgen.TOOL, os.X_OK):
    tap.skip_all('policy/tool/dmarcwarden-policy not built')

out = harness.outdir('policy_html')
corpus = reportgen.generate(os.path.join(out, 'corpus'))
db = os.path.join(out, 'reports.db')
run(['ingest', '-q', '--db', db, os.path.join(out, 'corpus')])

# A hostile reporter: markup in an authenticated domain and in the org name
hostile = (
    '<?xml version="1.0"?><feedback><report_metadata><org_name>'
    '&lt;b&gt;Evil&lt;/b&gt;</org_name><report_id>h1</report_id><date_range>'
    '<begin>%d</begin><end>%d</end></date_range></report_metadata>'
    '<policy_published><domain>example.com</domain><p>none</p>'
    '</policy_published><record><row><source_ip>192.0.2.250</source_ip>'
    '<count>5</count><policy_evaluated><disposition>none</disposition>'
    '<dkim>fail</dkim><spf>fail</spf></policy_evaluated></row><identifiers>'
    '<header_from>example.com</header_from></identifiers><auth_results>'
    '<dkim><domain>&lt;img src=x onerror=alert(1)&gt;</domain><result>pass'
    '</result></dkim></auth_results></record></feedback>'
    % (START + 86400, START + 2 * 86400 - 1)).encode()
hpath = os.path.join(out, 'hostile.xml.gz')
with open(hpath, 'wb') as f:
    f.write(gzip.compress(hostile, mtime=0))
rc, so, se = run(['ingest', '--db', db, hpath])
tap.like(so, r'stored <b>Evil</b> report h1', 'hostile report ingested')

page = os.path.join(out, 'example.com.html')
rc, so, se = run(['html', '--db', db, '--no-dns', '--now', str(NOW),
                  '-o', page, 'example.com'])
tap.is_(rc, 0, 'html exits 0')
with open(page, encoding='utf-8') as f:
    html = f.read()
tap.like(html, r'^<!DOCTYPE html>', 'an HTML document')
ext = re.findall(r'<[^>]*\s(?:src|href|xlink:href)\s*=[^>]*>|<link|@import|'
                 r'url\(', html)
tap.is_(ext, [], 'no src=, href=, <link>, @import or url(): nothing external')
tap.is_(re.findall(r'https?://[^"\s]*', html),
        ['http://www.w3.org/2000/svg'] * html.count('<svg '),
        'the only URL is the SVG namespace name')
tap.like(html, r"Content-Security-Policy\" content=\"default-src 'none'",
         'CSP forbids loading anything')
for cid in ('chart-passrate', 'chart-volume', 'chart-sources',
            'chart-impact'):
    tap.like(html, r'<svg class="chart" id="%s"' % cid, 'chart %s' % cid)
tap.ok('<img src=x' not in html and '&lt;img src=x onerror=alert(1)&gt;'
       in html, 'hostile domain escaped, not markup')
tap.like(html, r'id="record">_dmarc\.example\.com TXT "v=DMARC1; '
         r'p=quarantine; pct=25; t=y; sp=none; np=reject"',
         'record to publish shown')

hdb = os.path.join(out, 'history.db')
reportgen.make_history_db(hdb, reportgen.history_messages())
hpage = os.path.join(out, 'history.html')
rc, so, se = run(['html', '--history', hdb, '--no-dns', '--now',
                  str(START + 5 * 86400), '-o', hpage])
tap.is_(rc, 0, 'html --history exits 0')
with open(hpage, encoding='utf-8') as f:
    hhtml = f.read()
tap.like(hhtml, r'<svg class="chart" id="chart-actions"',
         'history page: what dmarcwarden did, per domain')
tap.like(hhtml, r'<td>b\.example</td><td class="n">6</td>.*local_policy 2',
         'history table with override reasons')
rc, so, se = run(['html', '--db', db, 'example.com'])
tap.is_(rc, 2, 'html without -o: usage error')

# ---- headless chromium -----------------------------------------------------
chromium = shutil.which('chromium')
if chromium is None:
    tap.skip('chromium not installed (apt-get install chromium; see '
             'contrib/install-deps)', 12)
    sys.exit(tap.done_testing())

FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
         '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--hide-scrollbars', '--enable-logging=stderr',
         '--v=0']


def chrome(args, url):
    udd = tempfile.mkdtemp(prefix='udd-', dir=out)
    try:
        p = subprocess.run([chromium] + FLAGS + ['--user-data-dir=' + udd] +
                           args + [url], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=90)
    finally:
        shutil.rmtree(udd, ignore_errors=True)
    return (p.returncode, p.stdout.decode('utf-8', 'replace'),
            p.stderr.decode('utf-8', 'replace'))


url = 'file://' + page
rc, dom, err = chrome(['--dump-dom'], url)
tap.is_(rc, 0, 'chromium --dump-dom exits 0')
tap.like(dom, r'<body[^>]* data-js="ok"', 'the page script ran to its end')
tap.unlike(dom, r'<body[^>]* data-js-error',
           'no JavaScript error reported by the page')
tap.unlike(err, r'Uncaught|CONSOLE\(\d+\).*[Ee]rror',
           'no JavaScript error in the console log')
tap.like(dom, r'id="js-status">interactive: 4 charts<',
         'script saw the 4 chart SVG elements')
m = re.search(r'<svg class="chart" id="chart-passrate".*?</svg>', dom, re.S)
tap.is_(len(re.findall(r'<circle class="pt"', m.group(0))) if m else 0,
        reportgen.DAYS, 'pass-rate chart: one point per day of data')
m = re.search(r'<svg class="chart" id="chart-volume".*?</svg>', dom, re.S)
tap.ok(m and len(re.findall(r'<rect class="bar"', m.group(0))) >=
       reportgen.DAYS * 4, 'volume chart: bars per day and class')
m = re.search(r'<svg class="chart" id="chart-sources".*?</svg>', dom, re.S)
tap.is_(len(re.findall(r'<rect class="bar"', m.group(0))) if m else 0, 7,
        'source chart: one bar per source')
tap.unlike(dom, r'<img', 'no injected element in the rendered DOM')

shot = os.path.join(out, 'example.com.png')
rc, so, err = chrome(['--window-size=1000,2600', '--screenshot=' + shot], url)
size = os.path.getsize(shot) if os.path.exists(shot) else 0
tap.ok(rc == 0 and size > 20000, 'screenshot saved: %s (%d bytes)'
       % (shot, size))
with open(shot, 'rb') as f:
    tap.is_(f.read(8), b'\x89PNG\r\n\x1a\n', 'screenshot is a PNG')
rc, hdom, err = chrome(['--dump-dom'], 'file://' + hpage)
tap.ok(re.search(r'<body[^>]* data-js="ok"', hdom) and
       not re.search(r'<body[^>]* data-js-error', hdom),
       'history page renders without JavaScript error')
chrome(['--window-size=1000,1800', '--screenshot=' +
        os.path.join(out, 'history.png')], 'file://' + hpage)

sys.exit(tap.done_testing())
