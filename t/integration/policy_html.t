#!/usr/bin/python3
"""policy_html.t - the self-contained HTML page of dmarcwarden-policy html:
no external resource, untrusted strings escaped, and the page opened from
a local file in headless Debian chromium: the JavaScript ran without
error, the chart SVG elements are there with their bars and points, and a
screenshot is saved under t/out/policy_html/.  The chromium part is
skipped (with the reason) when chromium is not installed.

The page's own claims: the verdict box comes first (ready or not, the
legitimate mail the next stage would quarantine or reject per day and
its share, as `advise --json` computes them, the blockers, the warnings
`advise` prints); failing sources come first in the source chart; days
without reports are gaps (hatched, the pass-rate line broken), not
interpolated; and, measured in chromium by a script added to a copy of
the page, no chart text runs outside its SVG or into the bars, no cell
or paragraph overflows its box, nothing scrolls sideways, at 1000 and 600
pixels (the page with a 250-character domain at both), no debug or
status lines."""

import gzip
import html as htmlmod
import json
import os
import re
import shutil
import sqlite3
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

# ---- the verdict at the top ---------------------------------------------
rc, so, se = run(['advise', '--db', db, '--no-dns', '--now', str(NOW),
                  '--json', 'example.com'])
adv = json.loads(so)['advice']
rc, atext, se = run(['advise', '--db', db, '--no-dns', '--now', str(NOW),
                     'example.com'])
pos = {k: html.find(k) for k in ('<h1>', 'id="summary"', 'id="verdict"',
                                 'id="chart-passrate"', 'id="record"')}
tap.ok(pos['<h1>'] < pos['id="summary"'] < pos['id="chart-passrate"'] and
       pos['id="summary"'] < pos['id="verdict"'] < pos['id="chart-passrate"'],
       'the verdict box comes right after the title, before every chart')
tap.like(html, r'<p id="verdict" class="notready">Not ready for '
         r'p=quarantine, ramping up', 'verdict: not ready, and for what')
imp = adv['impact_per_day']     # rounded to 0.01 in the JSON
q = sum(imp[c]['quarantined'] for c in imp if c != 'spoof')
r = sum(imp[c]['rejected'] for c in imp if c != 'spoof')
m = re.search(r'<p id="breaks">At that stage <b>([\d.]+)</b> legitimate '
              r'messages a day would be quarantined and <b>([\d.]+)</b> '
              r'rejected: <b>([\d.]+)%</b> of the ([\d.]+) messages a day; '
              r'([\d.]+) a day of unauthenticated', html)
tap.ok(m and abs(float(m.group(1)) - q) < 0.07 and
       abs(float(m.group(2)) - r) < 0.07,
       'what would break: %.1f quarantined, %.1f rejected a day, as advise '
       'computes (%s)' % (q, r, m.groups() if m else None))
tap.ok(m and abs(float(m.group(3)) - 100 * (q + r) / float(m.group(4))) <
       0.01 and abs(float(m.group(5)) - imp['spoof']['quarantined'] -
                    imp['spoof']['rejected']) < 0.06,
       'by how much: the share of the daily mail, and the spoofing stopped')
tap.like(html, r'<ul id="fixfirst" class="small"><li><b>198\.51\.100\.20</b>'
         r' \(authorized but misaligned, 7\.\d\d a day\)',
         'fix first: the misaligned ESP, largest legitimate impact')
blk = re.search(r'<ul id="blockers">(.*?)</ul>', html)
tap.is_(re.findall(r'<li>(.*?)</li>', blk.group(1)) if blk else None,
        adv['blockers'], 'the blockers of advise, in the box')
tap.like(atext, r'no rua= known', 'advise warns: no rua= known')
tap.like(html, r'<ul id="warnings"><li>Warning: no rua= known',
         'the page shows that warning too')
wpage = os.path.join(out, 'warn.html')
rc, so, se = run(['html', '--db', db, '--no-dns', '--now', str(NOW),
                  '--record', 'v=DMARC1; p=bogus', '-o', wpage,
                  'example.com'])
rc, atext, se = run(['advise', '--db', db, '--no-dns', '--now', str(NOW),
                     '--record', 'v=DMARC1; p=bogus', 'example.com'])
with open(wpage, encoding='utf-8') as f:
    whtml = f.read()
note = re.search(r'\(policy from [^;]*; (--record ignored: [^)]*)\)', atext)
tap.ok(note and ('<li>Warning: current policy: %s</li>' % note.group(1))
       in htmlmod.unescape(whtml), 'advise\'s note on an ignored --record is a warning on the '
       'page (%s)' % (note.group(1) if note else None))
tap.unlike(html, r'JavaScript off|interactive: \d|js-status',
           'no status or debug line in the page')

# ---- failing sources first --------------------------------------------------
m = re.search(r'<svg class="chart" id="chart-sources".*?</svg>', html, re.S)
fails = [int(x) for x in re.findall(r'data-fail="(\d+)"', m.group(0))]
tap.ok(len(fails) == 7 and fails[0] > 0 and fails == sorted(fails,
       reverse=True), 'source chart: failing sources first, most failing '
       'first (%s)' % fails)
labels = re.findall(r'<text class="label"[^>]*>([^<]*)<', m.group(0))
tap.is_(labels[-1:], ['192.0.2.10'], 'the largest source, all passing, '
        'comes last')

# ---- gaps in the time series --------------------------------------------------
gdb = os.path.join(out, 'gaps.db')
shutil.copy(db, gdb)
gap_days = (6, 7, 8)
con = sqlite3.connect(gdb)
con.execute('PRAGMA foreign_keys = ON')
con.execute('DELETE FROM reports WHERE begin >= ? AND begin < ?',
            (START + gap_days[0] * 86400, START + (gap_days[-1] + 1) * 86400))
con.commit()
con.close()
longdom = '.'.join(['x' * 60] * 4)
long_xml = (
    '<?xml version="1.0"?><feedback><report_metadata><org_name>Long'
    '</org_name><report_id>long1</report_id><date_range><begin>%d</begin>'
    '<end>%d</end></date_range></report_metadata><policy_published><domain>'
    'example.com</domain><p>none</p></policy_published><record><row>'
    '<source_ip>2001:db8:ffff:ffff:ffff:ffff:ffff:fffe</source_ip><count>40'
    '</count><policy_evaluated><disposition>none</disposition><dkim>fail'
    '</dkim><spf>fail</spf></policy_evaluated></row><identifiers>'
    '<header_from>example.com</header_from></identifiers><auth_results>'
    '<dkim><domain>%s</domain><result>pass</result></dkim></auth_results>'
    '</record></feedback>' % (START + 86400, START + 2 * 86400 - 1,
                              longdom)).encode()
lpath = os.path.join(out, 'long.xml')
with open(lpath, 'wb') as f:
    f.write(long_xml)
rc, so, se = run(['ingest', '--db', gdb, lpath])
tap.like(so, r'stored Long report long1', 'report with a 250-character '
         'domain ingested')
gpage = os.path.join(out, 'gaps.html')
rc, so, se = run(['html', '--db', gdb, '--no-dns', '--now', str(NOW), '-o',
                  gpage, 'example.com'])
with open(gpage, encoding='utf-8') as f:
    ghtml = f.read()
m = re.search(r'<svg class="chart" id="chart-passrate".*?</svg>', ghtml, re.S)
tap.is_(len(re.findall(r'<polyline class="line"', m.group(0))), 2,
        'pass-rate line broken at the gap: two polylines')
tap.is_(len(re.findall(r'<rect class="gap"', m.group(0))), len(gap_days),
        'pass-rate chart: one hatched gap column per day without reports')
tap.is_(len(re.findall(r'<circle class="pt"', m.group(0))),
        reportgen.DAYS - len(gap_days), 'no point on a day without reports')
m2 = re.search(r'<svg class="chart" id="chart-volume".*?</svg>', ghtml, re.S)
tap.is_(len(re.findall(r'<rect class="gap"', m2.group(0))), len(gap_days),
        'volume chart: the same gap columns')
xs = [float(x) for x in re.findall(r'<circle class="pt" cx="([\d.]+)"',
                                   m.group(0))]
steps = [b - a for a, b in zip(xs, xs[1:])]
tap.ok(abs(max(steps) / min(steps) - (len(gap_days) + 1)) < 0.05,
       'the x axis keeps the gap: the points around it are %d days apart'
       % (len(gap_days) + 1))

# ---- headless chromium -----------------------------------------------------
chromium = shutil.which('chromium')
if chromium is None:
    tap.skip('chromium not installed (apt-get install chromium; see '
             'contrib/install-deps)', 16)
    sys.exit(tap.done_testing())

FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
         '--no-first-run',
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
tap.like(dom, r'<body[^>]* data-charts="4"',
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
# ---- layout facts, measured by a script added to a copy of the page -------
LAYOUT_JS = r"""<script>(function(){
var bad=[];
function vis(e){return e.getClientRects().length>0;}
document.querySelectorAll('svg.chart').forEach(function(svg){
 var vb=svg.viewBox.baseVal;
 svg.querySelectorAll('text').forEach(function(t){
  var b=t.getBBox();
  if(b.x<-0.5||b.y<-0.5||b.x+b.width>vb.width+0.5||b.y+b.height>vb.height+0.5)
   bad.push('text outside '+svg.id+': '+t.textContent.slice(0,50));
  if(t.getAttribute('class')==='label'&&b.x+b.width>%(barx)d)
   bad.push('label into the bars: '+t.textContent.slice(0,50));
 });
});
document.querySelectorAll('td,th,p,li,dd,dt,code,h1,h2,section,div').forEach(
 function(e){if(vis(e)&&e.scrollWidth>e.clientWidth+1)
  bad.push('overflow '+e.tagName+'#'+e.id+': '+e.textContent.slice(0,50));});
var de=document.documentElement;
if(de.scrollWidth>de.clientWidth+1)bad.push('page scrolls sideways: '+
 de.scrollWidth+' > '+de.clientWidth);
var txt=document.body.innerText;
['NaN','undefined','Infinity','JavaScript off','interactive:','debug']
 .forEach(function(w){if(txt.indexOf(w)>=0)bad.push('text shows '+w);});
var pre=document.createElement('pre');pre.id='layout';
pre.textContent=JSON.stringify(bad);document.body.appendChild(pre);
})();</script>""" % {'barx': 300}


def layout(path, width):
    with open(path, encoding='utf-8') as f:
        text = f.read()
    probe = path[:-5] + '.layout.html'
    with open(probe, 'w', encoding='utf-8') as f:
        f.write(text.replace('</body>', LAYOUT_JS + '</body>'))
    rc, d, err = chrome(['--window-size=%d,3000' % width, '--dump-dom'],
                        'file://' + probe)
    m = re.search(r'<pre id="layout">(.*?)</pre>', d, re.S)
    if m is None:
        return ['layout script did not run']
    return json.loads(m.group(1).replace('&lt;', '<').replace('&gt;', '>')
                      .replace('&quot;', '"').replace('&amp;', '&'))


for pth, width in ((page, 1000), (gpage, 1000), (gpage, 600)):
    tap.is_(layout(pth, width), [], 'layout of %s at %d px: no clipped or '
            'overflowing text, no sideways scrolling, no debug text'
            % (os.path.basename(pth), width))
gshot = os.path.join(out, 'gaps.png')
rc, so, err = chrome(['--window-size=1000,1600', '--screenshot=' + gshot],
                     'file://' + gpage)
tap.ok(rc == 0 and os.path.exists(gshot), 'screenshot of the page with gaps '
       'and a long domain: %s' % gshot)
rc, hdom, err = chrome(['--dump-dom'], 'file://' + hpage)
tap.ok(re.search(r'<body[^>]* data-js="ok"', hdom) and
       not re.search(r'<body[^>]* data-js-error', hdom),
       'history page renders without JavaScript error')
chrome(['--window-size=1000,1800', '--screenshot=' +
        os.path.join(out, 'history.png')], 'file://' + hpage)

sys.exit(tap.done_testing())
