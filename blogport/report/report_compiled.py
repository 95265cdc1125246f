"""The report template compiled by Jinja2: written by ``python -m blogport.report.render``
from blogport/templates/report.html.j2; do not edit."""
# fmt: off
# ruff: noqa
STAMP = 'a6b9395a761ba24ec187c53988890d1bf5f705259d4e2a9db9c58cdd8e244231 jinja2-3.1.6'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'report.html.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_report = resolve('report')
    l_0_totals = resolve('totals')
    l_0_checks = resolve('checks')
    l_0_months_differ = resolve('months_differ')
    l_0_chart = resolve('chart')
    l_0_colours = resolve('colours')
    l_0_not_ok = resolve('not_ok')
    l_0_not_ok_total = resolve('not_ok_total')
    l_0_max_ledger = resolve('max_ledger')
    l_0_full_ledger = resolve('full_ledger')
    l_0_full_ledger_rows = resolve('full_ledger_rows')
    try:
        t_1 = environment.filters['capitalize']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'capitalize' found.")
    try:
        t_2 = environment.filters['item_href']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'item_href' found.")
    try:
        t_3 = environment.filters['join']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'join' found.")
    try:
        t_4 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_4(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    try:
        t_5 = environment.filters['old_href']
    except KeyError:
        @internalcode
        def t_5(*unused):
            raise TemplateRuntimeError("No filter named 'old_href' found.")
    try:
        t_6 = environment.tests['none']
    except KeyError:
        @internalcode
        def t_6(*unused):
            raise TemplateRuntimeError("No test named 'none' found.")
    pass
    yield '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>Migration report'
    if environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'blog'), 'title'):
        pass
        yield ': '
        yield escape(environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'blog'), 'title'))
    yield '</title>\n<style>\n  :root { --ok: #2e7d32; --bad: #c62828; --warn: #b26a00; --muted: #666; --line: #e2e2e2; }\n  * { box-sizing: border-box; }\n  body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1d;\n         margin: 0 auto; max-width: 1180px; padding: 24px 28px 60px; }\n  h1 { font-size: 24px; margin: 0 0 4px; }\n  h2 { font-size: 19px; margin: 36px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }\n  h3 { font-size: 16px; margin: 22px 0 6px; }\n  .muted { color: var(--muted); }\n  .meta { color: var(--muted); font-size: 13px; margin-bottom: 18px; }\n  code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f4f4f4;\n         padding: 1px 4px; border-radius: 3px; word-break: break-all; }\n  .summary { border-radius: 8px; padding: 16px 20px; color: #fff; display: flex; flex-wrap: wrap;\n             gap: 10px 36px; align-items: baseline; }\n  .summary.good { background: var(--ok); }\n  .summary.bad { background: var(--bad); }\n  .summary .verdict { font-size: 20px; font-weight: 700; flex-basis: 100%; }\n  .summary .n { font-size: 26px; font-weight: 700; display: block; line-height: 1.1; }\n  .summary .l { font-size: 13px; opacity: .9; }\n  table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 14px; }\n  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }\n  th { background: #f7f7f7; font-weight: 600; }\n  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }\n  .sev { display: inline-block; min-width: 62px; text-align: center; font-size: 12px; font-weight: 700;\n         border-radius: 10px; padding: 0 8px; color: #fff; }\n  .sev.error, .st.failed { background: var(--bad); }\n  .sev.warning, .st.degraded { background: var(--warn); }\n  .st { display: inline-block; font-size: 12px; font-weight: 700; border-radius: 10px; padding: 0 8px; color: #fff; }\n  .st.ok { background: var(--ok); }\n  .st.deleted { background: #777; }\n  .zero { color: #aaa; }\n  .red { color: var(--bad); font-weight: 600; }\n  .amber { color: var(--warn); font-weight: 600; }\n  ul.findings { list-style: none; padding: 0; margin: 0; }\n  ul.findings li { padding: 7px 0; border-bottom: 1px solid var(--line); }\n  ul.findings .msg { margin-left: 6px; }\n  ul.findings .where { display: block; margin: 2px 0 0 74px; font-size: 13px; color: var(--muted); }\n  .where a { color: #1a5fb4; }\n  .chartbox { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; padding: 10px; }\n  .legend { font-size: 13px; margin: 6px 0 0; }\n  .legend span { display: inline-block; width: 12px; height: 12px; vertical-align: -1px; margin: 0 4px 0 14px; }\n  .legend span.tick { height: 2px; vertical-align: 4px; background: #222; }\n  .legend span.band { background: #fde7e7; border: 1px solid #f4bcbc; }\n  .allgood { color: var(--ok); font-weight: 600; }\n  details summary { cursor: pointer; color: #1a5fb4; margin: 4px 0 8px; }\n</style>\n</head>\n<body>\n<h1>Migration report'
    if environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'blog'), 'title'):
        pass
        yield ': '
        yield escape(environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'blog'), 'title'))
    yield '</h1>\n<div class="meta">\n'
    if environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'blog'), 'url'):
        pass
        yield 'Old blog: <code>'
        yield escape(environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'blog'), 'url'))
        yield '</code> · '
    yield '  Folder: <code>'
    yield escape(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'out_dir'))
    yield '</code> ·\n  Exports checked: '
    if environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'formats'):
        pass
        yield escape(t_3(context.eval_ctx, environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'formats'), ', '))
    else:
        pass
        yield 'none yet'
    yield ' ·\n  Generated '
    yield escape(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'generated_at'))
    yield '\n</div>\n\n<section class="summary '
    yield escape(('good' if environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'ok') else 'bad'))
    yield '">\n  <div class="verdict">\n'
    if environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'ok'):
        pass
        yield 'Nothing lost'
        if environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'warnings'):
            pass
            yield ': '
            yield escape(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'warnings'))
            yield ' warning'
            yield escape(('' if (environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'warnings') == 1) else 's'))
            yield ' to look at'
    else:
        pass
        yield 'Problems found: '
        yield escape(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'errors'))
        yield ' error'
        yield escape(('' if (environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'errors') == 1) else 's'))
    yield '  </div>\n  <div><span class="n">'
    yield escape(environment.getattr(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'posts'), 'exported'))
    yield ' / '
    yield escape(environment.getattr(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'posts'), 'source'))
    yield '</span><span class="l">posts exported / found</span></div>\n'
    if environment.getattr(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'pages'), 'source'):
        pass
        yield '<div><span class="n">'
        yield escape(environment.getattr(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'pages'), 'exported'))
        yield ' / '
        yield escape(environment.getattr(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'pages'), 'source'))
        yield '</span><span class="l">pages exported / found</span></div>'
    yield '  <div><span class="n">'
    yield escape(environment.getattr(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'comments'), 'exported'))
    yield ' / '
    yield escape(environment.getattr(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'comments'), 'source'))
    yield '</span><span class="l">comments exported / found</span></div>\n  <div><span class="n">'
    yield escape(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'authors'))
    yield '</span><span class="l">authors</span></div>\n  <div><span class="n">'
    yield escape(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'errors'))
    yield '</span><span class="l">errors (allowed '
    yield escape(environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'options'), 'max_errors'))
    yield ')</span></div>\n  <div><span class="n">'
    yield escape(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'warnings'))
    yield '</span><span class="l">warnings'
    if (not t_6(environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'options'), 'max_warnings'))):
        pass
        yield ' (allowed '
        yield escape(environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'options'), 'max_warnings'))
        yield ')'
    yield '</span></div>\n</section>\n\n<h2>Checks</h2>\n<table>\n  <tr><th>Check</th><th class="num">Errors</th><th class="num">Warnings</th></tr>\n'
    for l_1_name in (undefined(name='checks') if l_0_checks is missing else l_0_checks):
        l_1_check_titles = resolve('check_titles')
        l_1_counts = resolve('counts')
        _loop_vars = {}
        pass
        yield '  <tr>\n    <td><a href="#check-'
        yield escape(l_1_name)
        yield '">'
        yield escape(environment.getitem((undefined(name='check_titles') if l_1_check_titles is missing else l_1_check_titles), l_1_name))
        yield '</a></td>\n    <td class="num '
        yield escape(('red' if environment.getattr(environment.getitem((undefined(name='counts') if l_1_counts is missing else l_1_counts), l_1_name), 'error') else 'zero'))
        yield '">'
        yield escape(environment.getattr(environment.getitem((undefined(name='counts') if l_1_counts is missing else l_1_counts), l_1_name), 'error'))
        yield '</td>\n    <td class="num '
        yield escape(('amber' if environment.getattr(environment.getitem((undefined(name='counts') if l_1_counts is missing else l_1_counts), l_1_name), 'warning') else 'zero'))
        yield '">'
        yield escape(environment.getattr(environment.getitem((undefined(name='counts') if l_1_counts is missing else l_1_counts), l_1_name), 'warning'))
        yield '</td>\n  </tr>\n'
    l_1_name = l_1_check_titles = l_1_counts = missing
    yield '</table>\n\n<h2>Posts and comments per month</h2>\n<p class="muted">For each month, the left bar counts what the source holds and the right bar what reached the\nexports. Months where they differ are shaded, and the outputs\' bar turns red.\n'
    if (undefined(name='months_differ') if l_0_months_differ is missing else l_0_months_differ):
        pass
        yield '<span class="red">'
        yield escape(t_4((undefined(name='months_differ') if l_0_months_differ is missing else l_0_months_differ)))
        yield ' month'
        yield escape(('' if (t_4((undefined(name='months_differ') if l_0_months_differ is missing else l_0_months_differ)) == 1) else 's'))
        yield ' differ.</span>'
    yield '</p>\n<div class="chartbox">'
    yield escape((undefined(name='chart') if l_0_chart is missing else l_0_chart))
    yield '</div>\n<p class="legend"><span style="background: '
    yield escape(environment.getattr((undefined(name='colours') if l_0_colours is missing else l_0_colours), 'source'))
    yield '"></span>source\n  <span style="background: '
    yield escape(environment.getattr((undefined(name='colours') if l_0_colours is missing else l_0_colours), 'output'))
    yield '"></span>outputs\n  <span style="background: '
    yield escape(environment.getattr((undefined(name='colours') if l_0_colours is missing else l_0_colours), 'mismatch'))
    yield '"></span>outputs, fewer or more than the source\n  <span class="tick"></span>archive widget\'s count\n  <span class="band"></span>month differs</p>\n\n<h2>Totals</h2>\n<table>\n  <tr><th></th><th class="num">In the source</th><th class="num">Normalised</th>\n'
    for l_1_fmt in environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'formats'):
        _loop_vars = {}
        pass
        yield '<th class="num">In '
        yield escape(l_1_fmt)
        yield '</th>'
    l_1_fmt = missing
    yield '    <th class="num">Ok</th><th class="num">Degraded</th><th class="num">Failed</th>\n'
    if (environment.getattr(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'posts'), 'deleted') or environment.getattr(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'pages'), 'deleted')):
        pass
        yield '<th class="num">Deleted from the blog</th>'
    yield '</tr>\n'
    for l_1_kind in ['posts', 'pages', 'comments']:
        l_1_t = missing
        _loop_vars = {}
        pass
        l_1_t = environment.getitem((undefined(name='totals') if l_0_totals is missing else l_0_totals), l_1_kind)
        _loop_vars['t'] = l_1_t
        if ((l_1_kind != 'pages') or environment.getattr((undefined(name='t') if l_1_t is missing else l_1_t), 'source')):
            pass
            yield '  <tr><td>'
            yield escape(t_1(l_1_kind))
            yield '</td><td class="num">'
            yield escape(environment.getattr((undefined(name='t') if l_1_t is missing else l_1_t), 'source'))
            yield '</td><td class="num">'
            yield escape(environment.getattr((undefined(name='t') if l_1_t is missing else l_1_t), 'normalised'))
            yield '</td>\n'
            for l_2_fmt in environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'formats'):
                _loop_vars = {}
                pass
                yield '<td class="num '
                yield escape(('red' if (environment.getitem(environment.getattr((undefined(name='t') if l_1_t is missing else l_1_t), 'by_format'), l_2_fmt) != (environment.getattr((undefined(name='t') if l_1_t is missing else l_1_t), 'source') - environment.getattr((undefined(name='t') if l_1_t is missing else l_1_t), 'deleted'))) else ''))
                yield '">'
                yield escape(environment.getitem(environment.getattr((undefined(name='t') if l_1_t is missing else l_1_t), 'by_format'), l_2_fmt))
                yield '</td>'
            l_2_fmt = missing
            yield '    <td class="num">'
            yield escape(environment.getattr((undefined(name='t') if l_1_t is missing else l_1_t), 'ok'))
            yield '</td><td class="num '
            yield escape(('amber' if environment.getattr((undefined(name='t') if l_1_t is missing else l_1_t), 'degraded') else 'zero'))
            yield '">'
            yield escape(environment.getattr((undefined(name='t') if l_1_t is missing else l_1_t), 'degraded'))
            yield '</td>\n    <td class="num '
            yield escape(('red' if environment.getattr((undefined(name='t') if l_1_t is missing else l_1_t), 'failed') else 'zero'))
            yield '">'
            yield escape(environment.getattr((undefined(name='t') if l_1_t is missing else l_1_t), 'failed'))
            yield '</td>\n'
            if (environment.getattr(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'posts'), 'deleted') or environment.getattr(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'pages'), 'deleted')):
                pass
                yield '<td class="num">'
                yield escape(environment.getattr((undefined(name='t') if l_1_t is missing else l_1_t), 'deleted'))
                yield '</td>'
            yield '</tr>\n'
    l_1_kind = l_1_t = missing
    yield '</table>\n<p class="muted">Pages fetched: '
    yield escape(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'pages_fetched'))
    yield ' · crawl issues recorded: '
    yield escape(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'crawl_issues'))
    yield '\n  · comments declared by post pages: '
    yield escape(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'declared_comments'))
    yield '\n'
    if (environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'images') and environment.getattr(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'images'), 'found')):
        pass
        yield '· pictures: '
        yield escape(environment.getattr(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'images'), 'found'))
        yield ' found, '
        yield escape(environment.getattr(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'images'), 'downloaded'))
        yield ' downloaded, '
        yield escape(environment.getattr(environment.getattr((undefined(name='totals') if l_0_totals is missing else l_0_totals), 'images'), 'failed'))
        yield ' failed'
    yield '</p>\n\n<h2>Problems</h2>\n'
    if (not environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'findings')):
        pass
        yield '<p class="allgood">No problems found.</p>'
    for l_1_name in (undefined(name='checks') if l_0_checks is missing else l_0_checks):
        l_1_check_titles = resolve('check_titles')
        l_1_counts = resolve('counts')
        l_1_by_check = resolve('by_check')
        l_1_max_findings = resolve('max_findings')
        l_1_items = missing
        _loop_vars = {}
        pass
        yield '<h3 id="check-'
        yield escape(l_1_name)
        yield '">'
        yield escape(environment.getitem((undefined(name='check_titles') if l_1_check_titles is missing else l_1_check_titles), l_1_name))
        yield '\n  <span class="muted">('
        yield escape(environment.getattr(environment.getitem((undefined(name='counts') if l_1_counts is missing else l_1_counts), l_1_name), 'error'))
        yield ' error'
        yield escape(('' if (environment.getattr(environment.getitem((undefined(name='counts') if l_1_counts is missing else l_1_counts), l_1_name), 'error') == 1) else 's'))
        yield ', '
        yield escape(environment.getattr(environment.getitem((undefined(name='counts') if l_1_counts is missing else l_1_counts), l_1_name), 'warning'))
        yield ' warning'
        yield escape(('' if (environment.getattr(environment.getitem((undefined(name='counts') if l_1_counts is missing else l_1_counts), l_1_name), 'warning') == 1) else 's'))
        yield ')</span></h3>\n'
        l_1_items = environment.getitem((undefined(name='by_check') if l_1_by_check is missing else l_1_by_check), l_1_name)
        _loop_vars['items'] = l_1_items
        if (not (undefined(name='items') if l_1_items is missing else l_1_items)):
            pass
            yield '<p class="allgood">✓ Nothing to report.</p>'
        else:
            pass
            yield '<ul class="findings">\n'
            for l_2_f in (undefined(name='items') if l_1_items is missing else l_1_items)[:(undefined(name='max_findings') if l_1_max_findings is missing else l_1_max_findings)]:
                _loop_vars = {}
                pass
                yield '  <li><span class="sev '
                yield escape(environment.getattr(l_2_f, 'severity'))
                yield '">'
                yield escape(environment.getattr(l_2_f, 'severity'))
                yield '</span><span class="msg">'
                yield escape(environment.getattr(l_2_f, 'message'))
                yield '</span>\n'
                if (environment.getattr(l_2_f, 'old_url') or environment.getattr(l_2_f, 'item_link')):
                    pass
                    yield '<span class="where">\n'
                    if environment.getattr(l_2_f, 'old_url'):
                        pass
                        yield 'old: '
                        if t_5(environment.getattr(l_2_f, 'old_url')):
                            pass
                            yield '<a href="'
                            yield escape(t_5(environment.getattr(l_2_f, 'old_url')))
                            yield '">'
                            yield escape(environment.getattr(l_2_f, 'old_url'))
                            yield '</a>'
                        else:
                            pass
                            yield '<code>'
                            yield escape(environment.getattr(l_2_f, 'old_url'))
                            yield '</code>'
                    if (environment.getattr(l_2_f, 'old_url') and environment.getattr(l_2_f, 'item_link')):
                        pass
                        yield ' → '
                    if environment.getattr(l_2_f, 'item_link'):
                        pass
                        yield 'exported: '
                        if t_2(environment.getattr(l_2_f, 'item_link')):
                            pass
                            yield '<a href="'
                            yield escape(t_2(environment.getattr(l_2_f, 'item_link')))
                            yield '">'
                            yield escape(environment.getattr(l_2_f, 'item_link'))
                            yield '</a>'
                        else:
                            pass
                            yield '<code>'
                            yield escape(environment.getattr(l_2_f, 'item_link'))
                            yield '</code>'
                    yield '    </span>'
                yield '  </li>\n'
            l_2_f = missing
            yield '</ul>\n'
            if (t_4((undefined(name='items') if l_1_items is missing else l_1_items)) > (undefined(name='max_findings') if l_1_max_findings is missing else l_1_max_findings)):
                pass
                yield '<p class="muted">… and '
                yield escape((t_4((undefined(name='items') if l_1_items is missing else l_1_items)) - (undefined(name='max_findings') if l_1_max_findings is missing else l_1_max_findings)))
                yield ' more in report.json.</p>'
    l_1_name = l_1_check_titles = l_1_counts = l_1_by_check = l_1_items = l_1_max_findings = missing
    yield '\n<h2>Items not carried over intact</h2>\n'
    if (not (undefined(name='not_ok') if l_0_not_ok is missing else l_0_not_ok)):
        pass
        yield '<p class="allgood">Every post, page and comment reached every export intact.</p>'
    else:
        pass
        yield '<table>\n  <tr><th>Status</th><th>Item</th><th>What was lost, or why it failed</th><th>Old URL</th><th>Exported</th></tr>\n'
        for l_1_e in (undefined(name='not_ok') if l_0_not_ok is missing else l_0_not_ok):
            _loop_vars = {}
            pass
            yield '  <tr><td><span class="st '
            yield escape(environment.getattr(l_1_e, 'status'))
            yield '">'
            yield escape(environment.getattr(l_1_e, 'status'))
            yield '</span></td>\n    <td>'
            yield escape(environment.getattr(l_1_e, 'item_type'))
            if (environment.getattr(l_1_e, 'item_type') == 'comment'):
                pass
                yield ' on'
            yield ' “'
            yield escape((environment.getattr(l_1_e, 'title') or '(untitled)'))
            yield '”'
            if environment.getattr(l_1_e, 'item_id'):
                pass
                yield ' <code>'
                yield escape(environment.getattr(l_1_e, 'item_id'))
                yield '</code>'
            yield '</td>\n    <td>'
            yield escape(t_3(context.eval_ctx, environment.getattr(l_1_e, 'lost'), '; '))
            yield '</td>\n    <td>'
            if t_5(environment.getattr(l_1_e, 'old_url')):
                pass
                yield '<a href="'
                yield escape(t_5(environment.getattr(l_1_e, 'old_url')))
                yield '">'
                yield escape(environment.getattr(l_1_e, 'old_url'))
                yield '</a>'
            elif environment.getattr(l_1_e, 'old_url'):
                pass
                yield '<code>'
                yield escape(environment.getattr(l_1_e, 'old_url'))
                yield '</code>'
            yield '</td>\n    <td>'
            for l_2_p in environment.getattr(l_1_e, 'placements'):
                _loop_vars = {}
                pass
                if environment.getattr(l_2_p, 'link'):
                    pass
                    if t_2(environment.getattr(l_2_p, 'link')):
                        pass
                        yield '<a href="'
                        yield escape(t_2(environment.getattr(l_2_p, 'link')))
                        yield '">'
                        yield escape(environment.getattr(l_2_p, 'format'))
                        yield '</a>'
                    else:
                        pass
                        yield '<code title="'
                        yield escape(environment.getattr(l_2_p, 'link'))
                        yield '">'
                        yield escape(environment.getattr(l_2_p, 'format'))
                        yield '</code>'
                    if (environment.getattr(l_2_p, 'status') == 'failed'):
                        pass
                        yield ' <span class="red">✗</span>'
                    yield ' '
            l_2_p = missing
            yield '</td></tr>\n'
        l_1_e = missing
        yield '</table>\n'
        if ((undefined(name='not_ok_total') if l_0_not_ok_total is missing else l_0_not_ok_total) > (undefined(name='max_ledger') if l_0_max_ledger is missing else l_0_max_ledger)):
            pass
            yield '<p class="muted">… and '
            yield escape(((undefined(name='not_ok_total') if l_0_not_ok_total is missing else l_0_not_ok_total) - (undefined(name='max_ledger') if l_0_max_ledger is missing else l_0_max_ledger)))
            yield ' more in report.json.</p>'
    yield '\n<h2>The whole ledger</h2>\n'
    if t_6((undefined(name='full_ledger') if l_0_full_ledger is missing else l_0_full_ledger)):
        pass
        yield '<p class="muted">'
        yield escape(t_4(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'ledger')))
        yield ' items: too many to list here; every one is in\n  <a href="report.json">report.json</a> (key <code>ledger</code>).</p>\n'
    else:
        pass
        yield '<details>\n  <summary>Every post, page and comment found in the source, and where it went ('
        yield escape(t_4((undefined(name='full_ledger') if l_0_full_ledger is missing else l_0_full_ledger)))
        yield ' items)</summary>\n  <table>\n    <tr><th>Status</th><th>Item</th><th>Old URL</th>'
        for l_1_fmt in environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'formats'):
            _loop_vars = {}
            pass
            yield '<th>'
            yield escape(l_1_fmt)
            yield '</th>'
        l_1_fmt = missing
        yield '</tr>\n'
        yield escape((undefined(name='full_ledger_rows') if l_0_full_ledger_rows is missing else l_0_full_ledger_rows))
        yield '  </table>\n</details>\n'
    yield '\n'
    if environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'captures'):
        pass
        yield '<h2>Web-archive captures</h2>\n<p>'
        yield escape(environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'captures'), 'posts_captured'))
        yield ' posts from their own captured page; known only from a listing page:\n  '
        yield escape(environment.getattr(environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'captures'), 'posts_known_only_from'), 'listing'))
        yield ', from a feed: '
        yield escape(environment.getattr(environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'captures'), 'posts_known_only_from'), 'feed'))
        yield ';\n  comment pages never captured: '
        yield escape(environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'captures'), 'comment_pages_missing'))
        yield '.</p>\n<details>\n  <summary>Where each post came from ('
        yield escape(t_4(environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'captures'), 'posts')))
        yield ' posts)</summary>\n  <table>\n    <tr><th>Post</th><th>Captured</th><th>From</th><th>Comment pages never captured</th></tr>\n'
        for l_1_row in environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'captures'), 'posts')[:(undefined(name='max_ledger') if l_0_max_ledger is missing else l_0_max_ledger)]:
            _loop_vars = {}
            pass
            yield '    <tr><td>'
            if t_5(environment.getattr(l_1_row, 'post_url')):
                pass
                yield '<a href="'
                yield escape(t_5(environment.getattr(l_1_row, 'post_url')))
                yield '">'
                yield escape(environment.getattr(l_1_row, 'post_url'))
                yield '</a>'
            else:
                pass
                yield '<code>'
                yield escape(environment.getattr(l_1_row, 'post_url'))
                yield '</code>'
            yield '</td>\n      <td>'
            yield escape((environment.getattr(l_1_row, 'captured_at') or 'never'))
            yield '</td>\n      <td>'
            if environment.getattr(l_1_row, 'known_from'):
                pass
                yield escape(environment.getattr(l_1_row, 'known_via'))
                yield ' <code>'
                yield escape(environment.getattr(l_1_row, 'known_from'))
                yield '</code>'
            elif t_5(environment.getattr(l_1_row, 'capture_url')):
                pass
                yield '<a href="'
                yield escape(t_5(environment.getattr(l_1_row, 'capture_url')))
                yield '">'
                yield escape(environment.getattr(l_1_row, 'archive'))
                yield '</a>'
            else:
                pass
                yield '<code>'
                yield escape(environment.getattr(l_1_row, 'archive'))
                yield '</code>'
            yield '</td>\n      <td>'
            for l_2_url in environment.getattr(l_1_row, 'comment_pages_missing'):
                _loop_vars = {}
                pass
                yield '<code>'
                yield escape(l_2_url)
                yield '</code> '
            l_2_url = missing
            yield '</td></tr>\n'
        l_1_row = missing
        yield '  </table>\n'
        if (t_4(environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'captures'), 'posts')) > (undefined(name='max_ledger') if l_0_max_ledger is missing else l_0_max_ledger)):
            pass
            yield '<p class="muted">… and '
            yield escape((t_4(environment.getattr(environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'captures'), 'posts')) - (undefined(name='max_ledger') if l_0_max_ledger is missing else l_0_max_ledger)))
            yield ' more in report.json (key <code>captures</code>).</p>'
        yield '</details>\n'
    yield '\n'
    if environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'cruft_stripped'):
        pass
        yield '<h2>Cruft stripped by the transform</h2>\n<table>\n  <tr><th>Rule</th><th class="num">Times removed</th></tr>\n'
        for (l_1_rule, l_1_count) in environment.getattr((undefined(name='report') if l_0_report is missing else l_0_report), 'cruft_stripped'):
            _loop_vars = {}
            pass
            yield '<tr><td><code>'
            yield escape(l_1_rule)
            yield '</code></td><td class="num">'
            yield escape(l_1_count)
            yield '</td></tr>'
        l_1_rule = l_1_count = missing
        yield '</table>\n'
    yield '\n<p class="muted">The same facts, with the full ledger of every item, are in <a href="report.json">report.json</a>.</p>\n</body>\n</html>'

blocks = {}
debug_info = '6=59&55=64&57=69&58=75&59=77&60=84&63=86&65=88&66=101&68=105&69=109&70=117&71=121&72=123&73=127&79=135&81=141&82=145&83=149&91=155&92=163&93=165&94=167&95=169&102=171&104=179&105=183&106=189&107=192&108=198&109=208&110=214&111=218&115=226&116=230&117=232&120=242&121=245&122=254&123=258&124=266&125=268&127=274&128=278&129=284&130=287&131=302&132=305&137=324&142=331&145=337&146=341&147=345&148=358&149=360&150=373&153=400&157=406&161=414&163=416&164=424&169=427&171=430&172=432&173=436&175=438&178=440&179=444&180=457&181=459&182=478&185=488&189=495&193=498'
