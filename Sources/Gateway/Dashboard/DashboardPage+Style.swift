extension DashboardPage {
    /// The page's CSS: light, dense tables, readable at 1440×900 and in a screenshot.
    static let style = """
        :root { --ink: #1d2430; --muted: #5d6675; --line: #dde1e7; --bg: #f4f5f7; --card: #fff;
          --ok: #1b7f3b; --bad: #b3261e; --warn: #a15c00; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
          background: var(--bg); }
        header { display: flex; align-items: center; gap: 1.2rem; padding: .6rem 1.2rem; background: #1d2430;
          color: #fff; }
        header h1 { font-size: 1.2rem; margin: 0; }
        header form { margin-left: auto; }
        .status { padding: .1rem .6rem; border-radius: 1rem; background: #555; font-size: .85rem; }
        .status.live { background: var(--ok); }
        .status.down { background: var(--bad); }
        #updated { color: #c9ced6; font-size: .85rem; }
        main { padding: .6rem 1.2rem 1.2rem; display: grid; gap: .8rem; }
        section { background: var(--card); border-radius: 6px; padding: .5rem .8rem; box-shadow: 0 1px 2px #0001; }
        h2 { font-size: .95rem; margin: .2rem 0 .4rem; color: var(--muted); text-transform: uppercase;
          letter-spacing: .04em; }
        table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
        th, td { padding: .2rem .5rem; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
        th { color: var(--muted); font-weight: 600; font-size: .8rem; }
        th:first-child, td:first-child { text-align: left; }
        td.text, th.text { text-align: left; }
        .chip { display: inline-block; padding: 0 .4rem; margin-right: .2rem; border-radius: .6rem; font-size: .8rem;
          background: #e6f4ea; color: var(--ok); }
        .chip.down { background: #fce8e6; color: var(--bad); }
        .bar { display: inline-block; width: 70px; height: 8px; background: var(--line); border-radius: 4px;
          vertical-align: middle; margin-left: .4rem; overflow: hidden; }
        .bar i { display: block; height: 100%; background: #3b6fd4; }
        .bar i.hot { background: var(--warn); }
        .bad { color: var(--bad); font-weight: 600; }
        .charts { display: grid; grid-template-columns: repeat(4, 1fr); gap: .8rem; }
        figure { margin: 0; }
        figcaption { font-size: .8rem; color: var(--muted); margin-bottom: .2rem; }
        svg { width: 100%; height: 140px; background: #fafbfc; border: 1px solid var(--line); border-radius: 4px; }
        svg text { font-size: 10px; fill: var(--muted); }
        #recent td { font-size: .85rem; }
        """
}
