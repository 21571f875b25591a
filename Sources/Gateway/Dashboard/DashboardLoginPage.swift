/// The sign-in form a browser gets at `/dashboard` without a session: the admin key goes in a POST body, once.
enum DashboardLoginPage {
    /// The page, with `message` (an error) above the form when given.
    static func render(message: String?) -> String {
        let note = message.map { #"<p class="error">\#(escape($0))</p>"# } ?? ""
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Batchgate dashboard: sign in</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <style>
            body { font: 16px/1.5 system-ui, sans-serif; background: #f4f5f7; color: #1d2430; display: grid;
              place-items: center; min-height: 100vh; margin: 0; }
            form { background: #fff; padding: 2rem 2.5rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; }
            input { font: inherit; padding: .4rem .6rem; width: 22rem; display: block; margin: .5rem 0 1rem; }
            button { font: inherit; padding: .4rem 1.2rem; }
            .error { color: #b3261e; }
            </style></head>
            <body><form method="post" action="/dashboard/login">
            <h1>Batchgate dashboard</h1>
            \(note)
            <label for="key">Admin API key</label>
            <input id="key" name="key" type="password" autocomplete="off" autofocus required>
            <button type="submit">Sign in</button>
            </form></body></html>
            """
    }

    /// `text` safe inside HTML.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
