extension DashboardPage {
    /// The page's script: one `EventSource`; every message redraws the tables, whose cells carry the raw figures in
    /// `data-` attributes (the browser test reads them), and appends a point to the 15-minute charts.
    static let script = #"""
        "use strict";
        const COLORS = ["#3b6fd4", "#d4533b", "#2e9e5b", "#9b59b6", "#c29d0b", "#17a2b8"];
        const WINDOW = 900;
        let points = [];
        let ticks = 0;

        function esc(text) {
          return String(text).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
            "'": "&#39;"})[c]);
        }
        function num(value, digits) {
          if (value === null || value === undefined) return "–";
          return Number(value).toLocaleString("en-US", {maximumFractionDigits: digits || 0});
        }
        function pct(value) { return value === null || value === undefined ? "–" : (value * 100).toFixed(1) + "%"; }
        function secs(value) {
          if (value === null || value === undefined) return "–";
          return value < 1 ? (value * 1000).toFixed(0) + " ms" : value.toFixed(2) + " s";
        }
        function cell(attrs, field, value, text, cls) {
          const shown = text === undefined ? num(value) : text;
          const raw = value === null || value === undefined ? "" : value;
          return `<td ${attrs} data-field="${field}" data-value="${esc(raw)}"${cls ? ` class="${cls}"` : ""}>` +
            `${shown}</td>`;
        }
        function bar(used, limit) {
          if (!limit) return "";
          const share = Math.min(1, used / limit);
          return `<span class="bar"><i style="width:${(share * 100).toFixed(0)}%"` +
            `${share > 0.8 ? ' class="hot"' : ""}></i></span>`;
        }

        function drawModels(models) {
          let rows = "<tr><th>model</th><th>queue</th><th>running</th><th>tokens/s in</th><th>tokens/s out</th>" +
            "<th>step</th><th>KV cache</th><th>prefix hit</th><th>workers</th><th>restarts</th><th>requests</th>" +
            "<th>prompt tokens</th><th>generated tokens</th></tr>";
          for (const m of models) {
            const a = `data-model="${esc(m.name)}"`;
            const workers = m.workers.map(w => `<span class="chip${w.up ? "" : " down"}" data-worker="${w.index}" ` +
              `data-up="${w.up}">w${w.index} ${w.up ? "up" : "down"} · ${num(w.kvUsed)}/${num(w.kvUsed + w.kvFree)}` +
              `</span>`).join("");
            rows += `<tr ${a}><td class="text">${esc(m.name)}</td>` +
              cell(a, "waiting", m.waiting) + cell(a, "running", m.running) +
              cell(a, "promptTokensPerSecond", m.promptTokensPerSecond, num(m.promptTokensPerSecond, 1)) +
              cell(a, "generationTokensPerSecond", m.generationTokensPerSecond, num(m.generationTokensPerSecond, 1)) +
              cell(a, "stepMilliseconds", m.stepMilliseconds,
                m.stepMilliseconds === null || m.stepMilliseconds === undefined ? "–" :
                  num(m.stepMilliseconds, 1) + " ms") +
              cell(a, "kvUsage", m.kvUsage, pct(m.kvUsage)) +
              cell(a, "prefixHitRate", m.prefixHitRate, pct(m.prefixHitRate)) +
              `<td class="text">${workers}</td>` +
              cell(a, "restarts", m.restarts, num(m.restarts), m.restarts > 0 ? "bad" : "") +
              cell(a, "requests", m.requests) + cell(a, "promptTokens", m.promptTokens) +
              cell(a, "generationTokens", m.generationTokens) + "</tr>";
          }
          document.getElementById("models").innerHTML = rows;
        }

        function drawKeys(keys) {
          let rows = "<tr><th>key</th><th>priority</th><th>requests last min</th><th>tokens last min</th>" +
            "<th>concurrent limit</th><th>refusals</th><th>requests</th><th>prompt tokens</th>" +
            "<th>generated tokens</th></tr>";
          for (const k of keys) {
            const a = `data-key="${esc(k.name)}"`;
            const rpm = k.requestsPerMinute ? ` / ${num(k.requestsPerMinute)}` : " / ∞";
            const tpm = k.tokensPerMinute ? ` / ${num(k.tokensPerMinute)}` : " / ∞";
            rows += `<tr ${a}><td class="text">${esc(k.name)}${k.admin ? " <small>(admin)</small>" : ""}</td>` +
              cell(a, "priority", k.priority) +
              cell(a, "requestsLastMinute", k.requestsLastMinute,
                num(k.requestsLastMinute) + rpm + bar(k.requestsLastMinute, k.requestsPerMinute)) +
              cell(a, "tokensLastMinute", k.tokensLastMinute,
                num(k.tokensLastMinute) + tpm + bar(k.tokensLastMinute, k.tokensPerMinute)) +
              cell(a, "concurrentRequests", k.concurrentRequests, k.concurrentRequests ? num(k.concurrentRequests) : "∞") +
              cell(a, "refusals", k.refusals, num(k.refusals), k.refusals > 0 ? "bad" : "") +
              cell(a, "requests", k.requests) + cell(a, "promptTokens", k.promptTokens) +
              cell(a, "generationTokens", k.generationTokens) + "</tr>";
          }
          document.getElementById("keys").innerHTML = rows;
        }

        function drawRecent(recent) {
          let rows = "<tr><th>ended</th><th class=\"text\">request id</th><th class=\"text\">trace id</th>" +
            "<th class=\"text\">key</th><th class=\"text\">model</th>" +
            "<th>prompt</th><th>completion</th><th>TTFT</th><th>duration</th><th>status</th></tr>";
          for (const r of recent) {
            const ended = new Date(r.ended * 1000).toISOString().substring(11, 19);
            rows += `<tr data-request="${esc(r.id)}"><td class="text">${ended}</td><td class="text">${esc(r.id)}</td>` +
              `<td class="text">${esc(r.traceId || "")}</td><td class="text">${esc(r.key)}</td>` +
              `<td class="text">${esc(r.model)}</td><td>${num(r.promptTokens)}</td><td>${num(r.completionTokens)}</td>` +
              `<td>${secs(r.ttft)}</td><td>${secs(r.duration)}</td>` +
              `<td class="${r.status >= 400 ? "bad" : ""}">${r.status}</td></tr>`;
          }
          document.getElementById("recent").innerHTML = rows;
        }

        // series(point, model) -> [values...]; each value index gets its own dash style.
        function drawChart(id, pick, format, fixedMax) {
          const svg = document.getElementById(id);
          const width = svg.clientWidth || 320, height = svg.clientHeight || 140;
          const left = 42, right = 6, top = 8, bottom = 16;
          const now = points.length ? points[points.length - 1].time : Date.now() / 1000;
          const start = now - WINDOW;
          const models = points.length ? Object.keys(points[points.length - 1].models).sort() : [];
          let max = fixedMax || 0;
          if (!fixedMax) for (const p of points) for (const m of models) for (const v of pick(p.models[m] || [])) {
            max = Math.max(max, v);
          }
          if (!fixedMax) max = max > 0 ? max * 1.1 : 1;
          const x = t => left + (t - start) / WINDOW * (width - left - right);
          const y = v => top + (1 - v / max) * (height - top - bottom);
          let out = `<line x1="${left}" y1="${y(0)}" x2="${width - right}" y2="${y(0)}" stroke="#ccd"/>` +
            `<line x1="${left}" y1="${top}" x2="${left}" y2="${y(0)}" stroke="#ccd"/>` +
            `<text x="2" y="${top + 8}">${format(max)}</text><text x="2" y="${y(0)}">0</text>` +
            `<text x="${left}" y="${height - 3}">−15 min</text>` +
            `<text x="${width - right - 22}" y="${height - 3}">now</text>`;
          models.forEach((m, i) => {
            const color = COLORS[i % COLORS.length];
            const series = points.filter(p => p.models[m]).map(p => [p.time, pick(p.models[m])]);
            const lines = series.length ? series[0][1].length : 0;
            for (let j = 0; j < lines; j++) {
              const d = series.map(([t, v]) => `${x(t).toFixed(1)},${y(v[j]).toFixed(1)}`).join(" ");
              out += `<polyline fill="none" stroke="${color}" stroke-width="1.5"` +
                `${j > 0 ? ' stroke-dasharray="4 3"' : ""} points="${d}"/>`;
            }
            out += `<text x="${left + 6 + i * 90}" y="${top + 10}" style="fill:${color}">${esc(m)}</text>`;
          });
          svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
          svg.innerHTML = out;
        }

        function drawCharts() {
          drawChart("chart-out", v => [v[1]], v => num(v, 1));
          drawChart("chart-in", v => [v[0]], v => num(v, 1));
          drawChart("chart-queue", v => [v[2], v[3]], v => num(v, 1));
          drawChart("chart-kv", v => [v[4]], v => (v * 100).toFixed(0) + "%", 1);
        }

        function apply(snapshot) {
          if (snapshot.history) points = snapshot.history.slice(-WINDOW);
          if (snapshot.point) { points.push(snapshot.point); if (points.length > WINDOW) points.shift(); }
          drawModels(snapshot.models);
          drawKeys(snapshot.keys);
          drawRecent(snapshot.recent);
          drawCharts();
          ticks += 1;
          const updated = document.getElementById("updated");
          updated.dataset.ticks = ticks;
          updated.dataset.time = snapshot.time;
          updated.textContent = "updated " + new Date(snapshot.time * 1000).toISOString().substring(11, 19) + " UTC";
        }

        function connect() {
          const status = document.getElementById("status");
          const source = new EventSource("/dashboard/events");
          source.onopen = () => { status.textContent = "live"; status.className = "status live"; };
          source.onerror = () => { status.textContent = "reconnecting…"; status.className = "status down"; };
          source.onmessage = event => apply(JSON.parse(event.data));
        }
        connect();
        """#
}
