/// The dashboard page: one self-contained HTML document (its style and script inline, no CDN) that opens
/// `/dashboard/events` and redraws its tables and charts on every message.
enum DashboardPage {
    /// The whole page.
    static let html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Batchgate dashboard</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>\(style)</style></head>
        <body>
        <header>
          <h1>Batchgate</h1>
          <span id="status" class="status">connecting…</span>
          <span id="updated" data-ticks="0"></span>
          <form method="post" action="/dashboard/logout"><button type="submit">Sign out</button></form>
        </header>
        <main>
          <section><h2>Models</h2><table id="models"></table></section>
          <section class="charts">
            <figure><figcaption>Tokens/s out (generated)</figcaption><svg id="chart-out"></svg></figure>
            <figure><figcaption>Tokens/s in (prompt)</figcaption><svg id="chart-in"></svg></figure>
            <figure><figcaption>Queue depth (solid) and running (dashed)</figcaption><svg id="chart-queue"></svg></figure>
            <figure><figcaption>KV cache use</figcaption><svg id="chart-kv"></svg></figure>
          </section>
          <section><h2>API keys</h2><table id="keys"></table></section>
          <section><h2>Last 50 requests</h2><table id="recent"></table></section>
        </main>
        <script>\(script)</script>
        </body></html>
        """
}
