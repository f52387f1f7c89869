#include "emit/report_html.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/error.h"
#include "util/strbuf.h"
#include "util/units.h"

/* ---- reading the plan ------------------------------------------------------- */

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

static bool is_count(const cJSON *x)
{
    return cJSON_IsNumber(x) && x->valuedouble >= 0 && x->valuedouble < 18446744073709551616.0;
}

static uint64_t u64(const cJSON *o, const char *key)
{
    const cJSON *x = get(o, key);
    return is_count(x) ? (uint64_t)x->valuedouble : 0;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *x = get(o, key);
    return cJSON_IsNumber(x) ? x->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *x = get(o, key);
    return cJSON_IsString(x) ? x->valuestring : "";
}

/* ---- writing ---------------------------------------------------------------- */

static void esc(gp_strbuf *sb, const char *s)
{
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&': gp_sb_append(sb, "&amp;"); break;
        case '<': gp_sb_append(sb, "&lt;"); break;
        case '>': gp_sb_append(sb, "&gt;"); break;
        case '"': gp_sb_append(sb, "&quot;"); break;
        case '\'': gp_sb_append(sb, "&#39;"); break;
        default: gp_sb_appendn(sb, p, 1);
        }
    }
}

static void bytes_text(gp_strbuf *sb, uint64_t b)
{
    char buf[32];
    gp_format_bytes(b, buf, sizeof buf);
    gp_sb_append(sb, buf);
}

/* "4K", "160K", "1M": context lengths on an axis. */
static void ctx_short(char *buf, size_t size, uint64_t c)
{
    if (c >= 1048576 && c % 1048576 == 0)
        snprintf(buf, size, "%" PRIu64 "M", c / 1048576);
    else if (c >= 1024 && c % 1024 == 0)
        snprintf(buf, size, "%" PRIu64 "K", c / 1024);
    else
        snprintf(buf, size, "%" PRIu64, c);
}

/* Device colours by position: the CPU first, then GPUs in llama.cpp's order. */
static const char *const palette[] = {"#8d99ae", "#2a9d8f", "#e76f51", "#457b9d", "#d4a20d",
                                      "#9b5de5", "#f15bb5", "#0096c7", "#6a994e"};

static const char *dev_color(int idx)
{
    if (idx <= 0)
        return palette[0];
    return palette[1 + (idx - 1) % 8];
}

typedef struct report {
    gp_strbuf sb;
    const cJSON *root, *devices;
    int n_dev;
} report;

static int dev_index(const report *r, const char *name)
{
    for (int i = 0; i < r->n_dev; i++)
        if (strcmp(str(cJSON_GetArrayItem(r->devices, i), "name"), name) == 0)
            return i;
    return -1;
}

static const char css[] =
    "*{box-sizing:border-box}"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2933;"
    "background:#f7f8fa;margin:0;padding:24px}"
    "main{max-width:1100px;margin:0 auto}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:18px 0 10px}section>h2:first-child{margin-top:0}"
    ".sub{color:#52606d;margin:0 0 2px}"
    "section{background:#fff;border:1px solid #e4e7eb;border-radius:8px;padding:14px 18px;margin:14px 0}"
    "pre{white-space:pre-wrap;word-break:break-all;background:#1f2933;color:#f5f7fa;padding:12px;"
    "border-radius:6px;margin:0;font:13px/1.4 ui-monospace,Menlo,Consolas,monospace}"
    ".cmdrow{display:flex;gap:8px;align-items:flex-start}.cmdrow pre{flex:1}"
    "button{font:inherit;padding:6px 12px;border:1px solid #9aa5b1;border-radius:6px;background:#fff;cursor:pointer}"
    ".dev{margin:10px 0}.dev-head{display:flex;justify-content:space-between;gap:12px;flex-wrap:wrap}"
    ".bar{display:flex;height:22px;border-radius:4px;overflow:hidden;background:#eef0f3;margin-top:4px;"
    "border:1px solid #cbd2d9}.bar span{display:block;height:100%}"
    ".seg-kv{opacity:.55}.seg-compute{background:#52606d}"
    ".seg-margin{background:repeating-linear-gradient(45deg,#cbd2d9 0 4px,#e4e7eb 4px 8px)}"
    ".seg-free{background:#f5f7fa}.over .bar{border-color:#d64545;border-width:2px}"
    ".seg-grow{background:repeating-linear-gradient(-45deg,#9aa5b1 0 3px,#e4e7eb 3px 7px)}"
    "table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}"
    "th,td{text-align:right;padding:4px 8px;border-bottom:1px solid #e4e7eb}"
    "th:first-child,td:first-child{text-align:left}td.l,th.l{text-align:left}"
    "tr.chosen td{background:#e3f8f0;font-weight:600}tr.nofit td{color:#9aa5b1}"
    ".legend{display:flex;flex-wrap:wrap;gap:14px;margin:8px 0;color:#52606d}"
    ".sw{display:inline-block;width:14px;height:14px;border-radius:3px;vertical-align:-2px;margin-right:5px}"
    ".map{overflow-x:auto}svg text{font:11px system-ui,sans-serif;fill:#52606d}"
    ".charts{display:flex;flex-wrap:wrap;gap:16px}.chart h3{font-size:14px;margin:4px 0}"
    "ul.why{margin:0;padding-left:20px}.chips{display:flex;flex-wrap:wrap;gap:8px;margin-top:8px}"
    ".chip{border:1px solid #cbd2d9;border-radius:12px;padding:2px 10px;background:#fff}"
    "#tip{position:absolute;pointer-events:none;background:#1f2933;color:#fff;padding:5px 8px;"
    "border-radius:4px;font-size:12px;max-width:360px;white-space:pre-line;z-index:10}"
    "footer{color:#7b8794;margin:20px 0;font-size:12px}";

/* Hover details and the copy button; the page is complete without them. */
static const char script[] =
    "(function(){"
    "var tip=document.getElementById('tip');"
    "document.querySelectorAll('[data-tip]>title').forEach(function(t){t.remove();});"
    "document.addEventListener('mouseover',function(e){"
    "var el=e.target.closest?e.target.closest('[data-tip]'):null;"
    "if(!el){tip.hidden=true;return;}tip.textContent=el.getAttribute('data-tip');tip.hidden=false;});"
    "document.addEventListener('mousemove',function(e){if(!tip.hidden){"
    "tip.style.left=(e.pageX+14)+'px';tip.style.top=(e.pageY+14)+'px';}});"
    "var b=document.getElementById('copy'),c=document.getElementById('cmd');b.hidden=false;"
    "function done(){b.textContent='Copied';setTimeout(function(){b.textContent='Copy';},1500);}"
    "function pick(){var r=document.createRange();r.selectNodeContents(c);var s=window.getSelection();"
    "s.removeAllRanges();s.addRange(r);try{if(document.execCommand('copy'))done();}catch(x){}}"
    "b.addEventListener('click',function(){var t=c.textContent;"
    "if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(t).then(done,pick);}"
    "else pick();});"
    "})();";

/* ---- sections -------------------------------------------------------------- */

static void header(report *r)
{
    gp_strbuf *sb = &r->sb;
    const cJSON *model = get(r->root, "model");
    const char *name = str(model, "name"), *arch = str(model, "arch"), *path = str(model, "path");
    gp_sb_append(sb, "<header><h1>");
    esc(sb, *name ? name : *path ? path : "ggplace plan");
    gp_sb_append(sb, "</h1><p class=\"sub\">");
    if (*arch) {
        esc(sb, arch);
        gp_sb_append(sb, " · ");
    }
    if (*path)
        esc(sb, path);
    gp_sb_append(sb, "</p><p class=\"sub\">");
    gp_sb_printf(sb, "context %" PRIu64 " · KV cache ", u64(r->root, "ctx"));
    esc(sb, str(r->root, "kv_type"));
    gp_sb_printf(sb, " · flash attention %s · %" PRIu64 " slot%s",
                 cJSON_IsTrue(get(r->root, "flash_attn")) ? "on" : "off", u64(r->root, "n_seq"),
                 u64(r->root, "n_seq") == 1 ? "" : "s");
    gp_sb_append(sb, "</p><p class=\"sub\">");
    const cJSON *pred = get(r->root, "predicted");
    gp_sb_printf(sb, "predicted <b id=\"decode\">%.1f</b> t/s decode, <b>%.0f</b> t/s prefill (speed model)",
                 num(pred, "decode_tps"), num(pred, "prefill_tps"));
    gp_sb_append(sb, "</p></header>\n");
}

static void command(report *r)
{
    gp_strbuf *sb = &r->sb;
    gp_sb_append(sb, "<section id=\"command\"><h2>Command</h2><div class=\"cmdrow\"><pre id=\"cmd\">");
    esc(sb, str(r->root, "cmd"));
    gp_sb_append(sb, "</pre><button type=\"button\" id=\"copy\" hidden>Copy</button></div></section>\n");
}

static void seg(gp_strbuf *sb, const char *cls, const char *color, uint64_t v, uint64_t denom,
                const char *what)
{
    if (!v || !denom)
        return;
    char b[32];
    gp_format_bytes(v, b, sizeof b);
    gp_sb_printf(sb, "<span class=\"%s\" style=\"width:%.3f%%%s%s\" data-tip=\"%s: %s\" title=\"%s: %s\"></span>",
                 cls, 100.0 * (double)v / (double)denom, color ? ";background:" : "", color ? color : "",
                 what, b, what, b);
}

static void devices(report *r)
{
    gp_strbuf *sb = &r->sb;
    gp_sb_append(sb, "<section id=\"devices\"><h2>Devices</h2>"
                     "<div class=\"legend\"><span><span class=\"sw\" style=\"background:#52606d\"></span>"
                     "compute buffer</span><span><span class=\"sw seg-grow\"></span>what the server grows "
                     "into in use (checkpoints, prompt cache, its own memory)</span>"
                     "<span><span class=\"sw seg-margin\"></span>safety margin</span>"
                     "<span><span class=\"sw\" style=\"background:#f5f7fa;border:1px solid #cbd2d9\"></span>"
                     "free after</span><span>weights in the device's colour, KV cache / state lighter</span>"
                     "</div>\n");
    for (int i = 0; i < r->n_dev; i++) {
        const cJSON *d = cJSON_GetArrayItem(r->devices, i);
        uint64_t model = u64(d, "model"), ctx = u64(d, "context"), comp = u64(d, "compute");
        uint64_t total = u64(d, "total");
        /* what the budget holds in use (the load alone in a plan without it) */
        uint64_t held = is_count(get(d, "budgeted")) ? u64(d, "budgeted") : total;
        if (held < total)
            held = total;
        bool has_budget = is_count(get(d, "budget")), has_avail = is_count(get(d, "available"));
        uint64_t budget = u64(d, "budget"), avail = u64(d, "available");
        uint64_t denom = has_avail ? avail : has_budget ? budget : held;
        if (held > denom)
            denom = held;
        uint64_t margin = has_avail && has_budget && avail > budget ? avail - budget : 0;
        uint64_t free_after = has_budget ? (budget > held ? budget - held : 0)
                              : has_avail && avail > held ? avail - held : 0;
        bool over = has_budget && held > budget;
        const char *color = dev_color(i);
        gp_sb_append(sb, "<div class=\"dev");
        if (over)
            gp_sb_append(sb, " over");
        gp_sb_append(sb, "\" data-name=\"");
        esc(sb, str(d, "name"));
        gp_sb_printf(sb, "\" data-index=\"%d\" data-model=\"%" PRIu64 "\" data-context=\"%" PRIu64
                         "\" data-compute=\"%" PRIu64 "\" data-total=\"%" PRIu64 "\"",
                     i, model, ctx, comp, total);
        if (has_budget)
            gp_sb_printf(sb, " data-budget=\"%" PRIu64 "\"", budget);
        if (has_avail)
            gp_sb_printf(sb, " data-available=\"%" PRIu64 "\"", avail);
        gp_sb_printf(sb, "><div class=\"dev-head\"><span><span class=\"sw\" style=\"background:%s\"></span><b>", color);
        esc(sb, str(d, "name"));
        gp_sb_append(sb, "</b></span><span>");
        bytes_text(sb, total);
        if (held > total) {
            gp_sb_append(sb, " at load, ");
            bytes_text(sb, held);
            gp_sb_append(sb, " in use");
        }
        if (has_budget) {
            gp_sb_append(sb, " of a ");
            bytes_text(sb, budget);
            gp_sb_append(sb, " budget");
        }
        if (has_avail) {
            gp_sb_append(sb, " (");
            bytes_text(sb, avail);
            gp_sb_append(sb, " memory)");
        }
        if (over)
            gp_sb_append(sb, " — over budget");
        gp_sb_append(sb, "</span></div><div class=\"bar\">");
        seg(sb, "seg-w", color, model, denom, "weights");
        seg(sb, "seg-kv", color, ctx, denom, "KV cache / state");
        seg(sb, "seg-compute", NULL, comp, denom, "compute buffer");
        seg(sb, "seg-grow", NULL, held - total, denom, "grows into in use");
        seg(sb, "seg-free", NULL, free_after, denom, "free after");
        seg(sb, "seg-margin", NULL, margin, denom, "safety margin");
        gp_sb_append(sb, "</div></div>\n");
    }
    gp_sb_append(sb, "<table><thead><tr><th>device</th><th>budget</th><th>weights</th><th>KV/state</th>"
                     "<th>compute</th><th>total</th><th>in use</th><th>free after</th></tr></thead><tbody>");
    for (int i = 0; i < r->n_dev; i++) {
        const cJSON *d = cJSON_GetArrayItem(r->devices, i);
        bool has_budget = is_count(get(d, "budget"));
        uint64_t budget = u64(d, "budget"), total = u64(d, "total");
        uint64_t held = is_count(get(d, "budgeted")) ? u64(d, "budgeted") : total;
        if (held < total)
            held = total;
        gp_sb_append(sb, "<tr><td>");
        esc(sb, str(d, "name"));
        gp_sb_append(sb, "</td><td>");
        if (has_budget)
            bytes_text(sb, budget);
        else
            gp_sb_append(sb, "-");
        const char *keys[] = {"model", "context", "compute", "total"};
        for (size_t k = 0; k < 4; k++) {
            gp_sb_append(sb, "</td><td>");
            bytes_text(sb, u64(d, keys[k]));
        }
        gp_sb_append(sb, "</td><td>");
        bytes_text(sb, is_count(get(d, "in_use")) ? u64(d, "in_use") : total);
        gp_sb_append(sb, "</td><td>");
        if (has_budget && budget >= held)
            bytes_text(sb, budget - held);
        else
            gp_sb_append(sb, has_budget ? "over" : "-");
        gp_sb_append(sb, "</td></tr>");
    }
    gp_sb_append(sb, "</tbody></table></section>\n");
}

/* ---- the layer map ---------------------------------------------------------- */

enum { BAND_EXPERTS, BAND_FFN, BAND_ATTN, BAND_KV, N_BANDS };
static const char *band_label[N_BANDS] = {"routed experts", "FFN / shared", "attention, norms", "KV cache / state"};

static int band_of(const char *kind)
{
    if (!strcmp(kind, "experts"))
        return BAND_EXPERTS;
    if (!strcmp(kind, "ffn"))
        return BAND_FFN;
    return BAND_ATTN;
}

static void cell(report *r, double x, double y, double w, double h, int dev, bool hatch,
                 bool light, const char *tip)
{
    gp_strbuf *sb = &r->sb;
    gp_sb_printf(sb, "<g data-tip=\"%s\"><title>%s</title><rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"%s/>",
                 tip, tip, x, y, w, h, dev_color(dev), light ? " fill-opacity=\".55\"" : "");
    if (hatch)
        gp_sb_printf(sb, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"url(#hatch)\"/>", x, y, w, h);
    gp_sb_append(sb, "</g>");
}

static void layer_map(report *r)
{
    gp_strbuf *sb = &r->sb;
    const cJSON *layers = get(r->root, "layers");
    int n = cJSON_IsArray(layers) ? cJSON_GetArraySize(layers) : 0;
    gp_sb_append(sb, "<section id=\"layers\"><h2>Layers</h2>");
    if (n == 0) {
        gp_sb_append(sb, "<p>This plan carries no per-layer placement.</p></section>\n");
        return;
    }
    bool band_used[N_BANDS] = {false, false, true, true};
    const cJSON *l;
    cJSON_ArrayForEach(l, layers) {
        const cJSON *p;
        cJSON_ArrayForEach(p, get(l, "parts"))
            band_used[band_of(str(p, "kind"))] = true;
    }
    const double label_w = 112, band_h = 26, band_gap = 5, top = 4;
    double cw = floor(900.0 / n);
    if (cw < 5)
        cw = 5;
    if (cw > 22)
        cw = 22;
    double gap = cw >= 8 ? 2 : 1;
    double y_of[N_BANDS];
    double y = top;
    for (int b = 0; b < N_BANDS; b++) {
        y_of[b] = y;
        if (band_used[b])
            y += band_h + band_gap;
    }
    double width = label_w + n * cw + 8, height = y + 16;
    gp_sb_printf(sb, "<div class=\"map\"><svg id=\"layer-map\" xmlns=\"http://www.w3.org/2000/svg\" "
                     "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                     "aria-label=\"device of each layer's tensors\" data-layers=\"%d\">",
                 width, height, width, height, n);
    gp_sb_append(sb, "<defs><pattern id=\"hatch\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\" "
                     "patternTransform=\"rotate(45)\"><rect width=\"2\" height=\"5\" fill=\"#fff\" "
                     "fill-opacity=\".5\"/></pattern></defs>");
    for (int b = 0; b < N_BANDS; b++)
        if (band_used[b])
            gp_sb_printf(sb, "<text x=\"0\" y=\"%.1f\">%s</text>", y_of[b] + band_h / 2 + 4, band_label[b]);
    int step = n <= 40 ? 5 : 10;
    int il = 0;
    cJSON_ArrayForEach(l, layers) {
        double x = label_w + il * cw, w = cw - gap;
        int index = (int)u64(l, "index");
        gp_sb_printf(sb, "<g class=\"layer-col\" data-layer=\"%d\">", index);
        for (int b = 0; b < BAND_KV; b++) {
            if (!band_used[b])
                continue;
            uint64_t sum = 0;
            const cJSON *p;
            cJSON_ArrayForEach(p, get(l, "parts"))
                if (band_of(str(p, "kind")) == b)
                    sum += u64(p, "bytes");
            if (sum == 0) {
                gp_sb_printf(sb, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
                                 "stroke=\"#e4e7eb\"/>", x, y_of[b], w, band_h);
                continue;
            }
            double yy = y_of[b];
            cJSON_ArrayForEach(p, get(l, "parts")) {
                if (band_of(str(p, "kind")) != b)
                    continue;
                uint64_t pb = u64(p, "bytes");
                double h = band_h * (double)pb / (double)sum;
                gp_strbuf tip = {0};
                gp_sb_printf(&tip, "layer %d · %s · ", index, str(p, "kind"));
                esc(&tip, str(p, "device"));
                gp_sb_printf(&tip, " · %" PRIu64 " tensor%s · ", u64(p, "tensors"), u64(p, "tensors") == 1 ? "" : "s");
                bytes_text(&tip, pb);
                char *t = gp_sb_take(&tip);
                cell(r, x, yy, w, h, dev_index(r, str(p, "device")), b == BAND_EXPERTS, false, t ? t : "");
                free(t);
                yy += h;
            }
        }
        const cJSON *kvd = get(l, "kv_device");
        uint64_t kvb = u64(l, "kv_bytes");
        if (cJSON_IsString(kvd) && kvb > 0) {
            gp_strbuf tip = {0};
            gp_sb_printf(&tip, "layer %d · KV cache (%s) · ", index, str(l, "kv_kind"));
            esc(&tip, kvd->valuestring);
            gp_sb_append(&tip, " · ");
            bytes_text(&tip, kvb);
            char *t = gp_sb_take(&tip);
            cell(r, x, y_of[BAND_KV], w, band_h, dev_index(r, kvd->valuestring), false, true, t ? t : "");
            free(t);
        } else {
            gp_sb_printf(sb, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
                             "stroke=\"#e4e7eb\"/>", x, y_of[BAND_KV], w, band_h);
        }
        gp_sb_append(sb, "</g>");
        if (index % step == 0)
            gp_sb_printf(sb, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>", x + w / 2,
                         height - 3, index);
        il++;
    }
    gp_sb_append(sb, "</svg></div><div class=\"legend\">");
    for (int i = 0; i < r->n_dev; i++) {
        gp_sb_printf(sb, "<span><span class=\"sw\" style=\"background:%s\"></span>", dev_color(i));
        esc(sb, str(cJSON_GetArrayItem(r->devices, i), "name"));
        gp_sb_append(sb, "</span>");
    }
    if (band_used[BAND_EXPERTS])
        gp_sb_append(sb, "<span><svg width=\"14\" height=\"14\" style=\"vertical-align:-2px;margin-right:5px\">"
                         "<rect width=\"14\" height=\"14\" fill=\"#52606d\"/><rect width=\"14\" height=\"14\" "
                         "fill=\"url(#hatch)\"/></svg>routed experts are hatched</span>");
    gp_sb_append(sb, "<span>KV cache lighter</span></div>");
    /* Tensors outside the layers, summed by what they are and where. */
    const cJSON *outside = get(r->root, "outside");
    if (cJSON_GetArraySize(outside) > 0) {
        gp_sb_append(sb, "<div class=\"chips\">");
        const cJSON *o;
        int k = 0;
        cJSON_ArrayForEach(o, outside) {
            bool seen = false;
            for (int j = 0; j < k && !seen; j++) {
                const cJSON *q = cJSON_GetArrayItem(outside, j);
                seen = !strcmp(str(q, "kind"), str(o, "kind")) && !strcmp(str(q, "device"), str(o, "device"));
            }
            k++;
            if (seen)
                continue;
            uint64_t sum = 0;
            const cJSON *q;
            cJSON_ArrayForEach(q, outside)
                if (!strcmp(str(q, "kind"), str(o, "kind")) && !strcmp(str(q, "device"), str(o, "device")))
                    sum += u64(q, "bytes");
            gp_sb_printf(sb, "<span class=\"chip\"><span class=\"sw\" style=\"background:%s\"></span>",
                         dev_color(dev_index(r, str(o, "device"))));
            esc(sb, str(o, "kind"));
            gp_sb_append(sb, " on ");
            esc(sb, str(o, "device"));
            gp_sb_append(sb, ": ");
            bytes_text(sb, sum);
            gp_sb_append(sb, "</span>");
        }
        gp_sb_append(sb, "</div>");
    }
    gp_sb_append(sb, "</section>\n");
}

/* ---- memory against context --------------------------------------------------- */

static const char *series_color(const char *kv)
{
    if (!strcmp(kv, "f16"))
        return "#1d3557";
    if (!strcmp(kv, "q8_0"))
        return "#2a9d8f";
    return "#e76f51";
}

static const char *series_dash(const char *kv)
{
    if (!strcmp(kv, "f16"))
        return "";
    if (!strcmp(kv, "q8_0"))
        return " stroke-dasharray=\"7 4\"";
    return " stroke-dasharray=\"2 3\"";
}

static void chart(report *r, int dev, const cJSON *curve)
{
    gp_strbuf *sb = &r->sb;
    const cJSON *d = cJSON_GetArrayItem(r->devices, dev);
    const cJSON *ctxs = get(curve, "contexts"), *series = get(curve, "series");
    int nc = cJSON_GetArraySize(ctxs);
    if (nc == 0)
        return;
    const double W = 490, H = 250, L = 74, R = 78, T = 12, B = 36;
    double c0 = log2(cJSON_GetArrayItem(ctxs, 0)->valuedouble > 0 ? cJSON_GetArrayItem(ctxs, 0)->valuedouble : 1);
    double c1 = log2(cJSON_GetArrayItem(ctxs, nc - 1)->valuedouble > 0 ? cJSON_GetArrayItem(ctxs, nc - 1)->valuedouble : 1);
    bool has_budget = is_count(get(d, "budget"));
    double budget = has_budget ? get(d, "budget")->valuedouble : 0;
    /* The axis spans the points and the budget, so that the curves and the
     * line they must stay under are both readable. */
    double hi = budget, lo = has_budget ? budget : -1;
    const cJSON *s, *p;
    cJSON_ArrayForEach(s, series)
        cJSON_ArrayForEach(p, get(s, "points")) {
            const cJSON *t = cJSON_GetArrayItem(get(p, "totals"), dev);
            if (!is_count(t))
                continue;
            if (t->valuedouble > hi)
                hi = t->valuedouble;
            if (lo < 0 || t->valuedouble < lo)
                lo = t->valuedouble;
        }
    if (lo < 0)
        lo = 0;
    double pad = hi > lo ? (hi - lo) * 0.12 : hi * 0.1 + 1;
    double ymin = lo - pad > 0 ? lo - pad : 0, ymax = hi + pad;
#define XOF(c) (L + (c1 > c0 ? (log2(c) - c0) / (c1 - c0) : 0.5) * (W - L - R))
#define YOF(v) (T + (1 - ((v) - ymin) / (ymax - ymin)) * (H - T - B))
    gp_sb_append(sb, "<div class=\"chart\" data-device=\"");
    esc(sb, str(d, "name"));
    gp_sb_append(sb, "\"><h3>");
    esc(sb, str(d, "name"));
    gp_sb_printf(sb, "</h3><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                     "viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"memory against context\">",
                 W, H, W, H);
    for (int k = 0; k <= 4; k++) {
        double v = ymin + (ymax - ymin) * k / 4;
        char b[32];
        gp_format_bytes((uint64_t)v, b, sizeof b);
        gp_sb_printf(sb, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e7eb\"/>"
                         "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
                     L, W - R, YOF(v), YOF(v), L - 4, YOF(v) + 4, b);
    }
    /* Labels too close to the previous one are left out (the last kept). */
    double last_x = -1e9;
    for (int i = 0; i < nc; i++) {
        double c = cJSON_GetArrayItem(ctxs, i)->valuedouble;
        double nx = i + 1 < nc ? XOF(cJSON_GetArrayItem(ctxs, nc - 1)->valuedouble) : 1e9;
        if (XOF(c) - last_x < 34 || (i + 1 < nc && nx - XOF(c) < 34))
            continue;
        char lab[32];
        ctx_short(lab, sizeof lab, (uint64_t)c);
        gp_sb_printf(sb, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>", XOF(c), H - B + 16, lab);
        last_x = XOF(c);
    }
    gp_sb_printf(sb, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">context (tokens, log scale)</text>",
                 (L + W - R) / 2, H - 4);
    if (has_budget) {
        char b[32];
        gp_format_bytes((uint64_t)budget, b, sizeof b);
        gp_sb_printf(sb, "<line class=\"budget\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#d64545\" "
                         "stroke-width=\"1.5\" stroke-dasharray=\"5 4\"/><text x=\"%.1f\" y=\"%.1f\" "
                         "style=\"fill:#d64545\">budget</text><text x=\"%.1f\" y=\"%.1f\" style=\"fill:#d64545\">%s</text>",
                     L, W - R, YOF(budget), YOF(budget), W - R + 4, YOF(budget) - 2, W - R + 4, YOF(budget) + 11, b);
    }
    uint64_t plan_ctx = u64(r->root, "ctx");
    const char *plan_kv = str(r->root, "kv_type");
    cJSON_ArrayForEach(s, series) {
        const char *kv = str(s, "kv_type");
        const char *col = series_color(kv);
        gp_sb_append(sb, "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"");
        gp_sb_append(sb, col);
        gp_sb_printf(sb, "\"%s points=\"", series_dash(kv));
        cJSON_ArrayForEach(p, get(s, "points")) {
            const cJSON *t = cJSON_GetArrayItem(get(p, "totals"), dev);
            if (is_count(t))
                gp_sb_printf(sb, "%.1f,%.1f ", XOF(num(p, "ctx")), YOF(t->valuedouble));
        }
        gp_sb_append(sb, "\"/>");
        cJSON_ArrayForEach(p, get(s, "points")) {
            const cJSON *t = cJSON_GetArrayItem(get(p, "totals"), dev);
            if (!is_count(t))
                continue;
            bool fits = cJSON_IsTrue(get(p, "fits"));
            char b[32];
            gp_format_bytes((uint64_t)t->valuedouble, b, sizeof b);
            double cx = XOF(num(p, "ctx")), cy = YOF(t->valuedouble);
            gp_strbuf tip = {0};
            gp_sb_printf(&tip, "%s cache, %" PRIu64 " tokens: %s on ", kv, u64(p, "ctx"), b);
            esc(&tip, str(d, "name"));
            gp_sb_append(&tip, fits ? " (every device fits)" : " (some device over its budget)");
            char *tt = gp_sb_take(&tip);
            gp_sb_printf(sb, "<g data-tip=\"%s\"><title>%s</title><circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
                             "stroke=\"%s\" stroke-width=\"1.5\" fill=\"%s\"/></g>",
                         tt ? tt : "", tt ? tt : "", cx, cy, col, fits ? col : "#fff");
            free(tt);
            if (u64(p, "ctx") == plan_ctx && !strcmp(kv, plan_kv))
                gp_sb_printf(sb, "<circle class=\"chosen\" cx=\"%.1f\" cy=\"%.1f\" r=\"8\" fill=\"none\" "
                                 "stroke=\"#1f2933\" stroke-width=\"1.5\"/>", cx, cy);
        }
    }
#undef XOF
#undef YOF
    gp_sb_append(sb, "</svg></div>");
}

static void curves(report *r)
{
    gp_strbuf *sb = &r->sb;
    const cJSON *curve = get(r->root, "kv_curve");
    if (!cJSON_IsObject(curve))
        return;
    gp_sb_append(sb, "<section id=\"curve\"><h2>Memory against context</h2><p class=\"sub\">What each device "
                     "that holds KV cache would use with this placement at other contexts, for each cache "
                     "type (filled: every device within its budget; ringed: this plan).</p><div class=\"legend\">");
    const cJSON *s;
    cJSON_ArrayForEach(s, get(curve, "series")) {
        const char *kv = str(s, "kv_type");
        gp_sb_printf(sb, "<span><svg width=\"26\" height=\"10\" style=\"margin-right:5px\"><line x1=\"0\" x2=\"26\" "
                         "y1=\"5\" y2=\"5\" stroke=\"%s\" stroke-width=\"2\"%s/></svg>", series_color(kv), series_dash(kv));
        esc(sb, kv);
        gp_sb_append(sb, " cache</span>");
    }
    gp_sb_append(sb, "<span><svg width=\"26\" height=\"10\" style=\"margin-right:5px\"><line x1=\"0\" x2=\"26\" "
                     "y1=\"5\" y2=\"5\" stroke=\"#d64545\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"/></svg>"
                     "budget</span></div><div class=\"charts\">");
    int shown = 0;
    for (int i = 0; i < r->n_dev; i++)
        if (u64(cJSON_GetArrayItem(r->devices, i), "context") > 0) {
            chart(r, i, curve);
            shown++;
        }
    if (!shown)
        for (int i = 0; i < r->n_dev; i++)
            chart(r, i, curve);
    gp_sb_append(sb, "</div></section>\n");
}

static void why(report *r)
{
    gp_strbuf *sb = &r->sb;
    gp_sb_append(sb, "<section id=\"why\"><h2>Why</h2><ul class=\"why\">");
    const cJSON *w;
    cJSON_ArrayForEach(w, get(r->root, "why")) {
        if (!cJSON_IsString(w))
            continue;
        gp_sb_append(sb, "<li>");
        esc(sb, w->valuestring);
        gp_sb_append(sb, "</li>");
    }
    gp_sb_append(sb, "</ul>");
    const cJSON *alts = get(r->root, "alternatives");
    if (cJSON_GetArraySize(alts) > 0) {
        gp_sb_append(sb, "<h2>Alternatives considered</h2><table id=\"alternatives\"><thead><tr>"
                         "<th>context</th><th class=\"l\">KV cache</th><th>micro-batch</th>"
                         "<th class=\"l\">placement</th><th>decode t/s</th><th>prefill t/s</th>"
                         "<th class=\"l\"></th></tr></thead><tbody>");
        const cJSON *a;
        cJSON_ArrayForEach(a, alts) {
            bool fits = cJSON_IsTrue(get(a, "fits")), chosen = cJSON_IsTrue(get(a, "chosen"));
            gp_sb_printf(sb, "<tr%s><td>%" PRIu64 "</td><td class=\"l\">", chosen ? " class=\"chosen\"" : fits ? "" : " class=\"nofit\"",
                         u64(a, "ctx"));
            esc(sb, str(a, "kv_type"));
            if (strcmp(str(a, "kv_type"), str(a, "kv_type_v")) != 0 && *str(a, "kv_type_v")) {
                gp_sb_append(sb, " / ");
                esc(sb, str(a, "kv_type_v"));
            }
            gp_sb_printf(sb, "</td><td>%" PRIu64 "</td><td class=\"l\">", u64(a, "ubatch"));
            esc(sb, str(a, "placement"));
            if (fits)
                gp_sb_printf(sb, "</td><td>%.1f</td><td>%.0f</td>", num(a, "decode_tps"), num(a, "prefill_tps"));
            else
                gp_sb_append(sb, "</td><td>-</td><td>-</td>");
            const char *why_not = str(a, "rejected");
            if (chosen || !why_not || !*why_not) {
                gp_sb_printf(sb, "<td class=\"l\">%s</td></tr>", chosen ? "chosen" : "");
            } else {
                gp_sb_append(sb, "<td class=\"l\">set aside: ");
                esc(sb, why_not);
                gp_sb_append(sb, "</td></tr>");
            }
        }
        gp_sb_append(sb, "</tbody></table>");
    }
    gp_sb_append(sb, "</section>\n");
}

gp_status gp_report_html(const char *plan_json, size_t len, const char *source, char **html,
                         gp_error *err)
{
    *html = NULL;
    cJSON *root = cJSON_ParseWithLength(plan_json, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return gp_fail(err, GP_ERR_FORMAT, source, "not JSON (expected the output of ggplace plan --json)");
    }
    const cJSON *devs = get(root, "devices");
    bool ok = cJSON_IsArray(devs) && cJSON_GetArraySize(devs) > 0 && cJSON_IsString(get(root, "cmd"));
    const cJSON *d;
    cJSON_ArrayForEach(d, devs)
        ok = ok && cJSON_IsString(get(d, "name")) && is_count(get(d, "total")) &&
             is_count(get(d, "model")) && is_count(get(d, "context")) && is_count(get(d, "compute"));
    if (!ok) {
        cJSON_Delete(root);
        return gp_fail(err, GP_ERR_FORMAT, source,
                       "not a plan: expected the output of ggplace plan --json (cmd and devices with their bytes)");
    }
    report r = {.root = root, .devices = devs, .n_dev = cJSON_GetArraySize(devs)};
    gp_strbuf *sb = &r.sb;
    const cJSON *model = get(root, "model");
    gp_sb_append(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                     "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
                     "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                     "<link rel=\"icon\" href=\"data:,\"><title>ggplace plan: ");
    esc(sb, *str(model, "name") ? str(model, "name") : str(model, "path"));
    gp_sb_printf(sb, "</title><style>%s</style></head>\n<body><main data-n-layer=\"%" PRIu64 "\">\n", css,
                 u64(model, "n_layer"));
    header(&r);
    command(&r);
    devices(&r);
    layer_map(&r);
    curves(&r);
    why(&r);
    gp_sb_append(sb, "<footer>ggplace ");
    esc(sb, str(root, "version"));
    gp_sb_append(sb, " · every number is the memory model applied to the command above</footer></main>"
                     "<div id=\"tip\" hidden></div>\n<script>");
    gp_sb_append(sb, script);
    gp_sb_append(sb, "</script></body></html>\n");
    cJSON_Delete(root);
    if (sb->failed) {
        gp_sb_free(sb);
        return gp_fail(err, GP_ERR_NOMEM, source, "out of memory");
    }
    *html = gp_sb_take(sb);
    return GP_OK;
}
