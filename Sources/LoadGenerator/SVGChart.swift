import Foundation

/// Small inline SVG charts for the HTML report: lines (with an optional horizontal limit) and bars.
struct SVGChart {
    /// One line of a line chart.
    struct Series {
        var name: String
        var color: String
        var points: [(x: Double, y: Double)]
    }

    var title: String
    var xLabel: String
    var yLabel: String
    let width = 640.0
    let height = 320.0
    let left = 64.0
    let right = 16.0
    let top = 36.0
    let bottom = 48.0

    /// A line chart; `limit` draws a dashed horizontal line (the SLO) with its label.
    func lines(_ series: [Series], limit: (value: Double, label: String)? = nil) -> String {
        let all = series.flatMap(\.points)
        let xMax = Swift.max(all.map(\.x).max() ?? 1, 1e-9)
        let yMax = Swift.max((all.map(\.y) + [limit?.value ?? 0]).max() ?? 1, 1e-9) * 1.1
        var body = axes(xMax: xMax, yMax: yMax)
        for item in series where !item.points.isEmpty {
            let path = item.points.map { "\(n(x($0.x, xMax))),\(n(y($0.y, yMax)))" }.joined(separator: " ")
            body += #"<polyline fill="none" stroke="\#(item.color)" stroke-width="2" points="\#(path)"/>"#
            for point in item.points {
                body +=
                    #"<circle cx="\#(n(x(point.x, xMax)))" cy="\#(n(y(point.y, yMax)))" r="2.5" fill="\#(item.color)"/>"#
            }
        }
        if let limit {
            let at = n(y(limit.value, yMax))
            body +=
                #"<line x1="\#(n(left))" x2="\#(n(width - right))" y1="\#(at)" y2="\#(at)" "#
                + #"stroke="rgb(214,39,40)" stroke-dasharray="6 4"/>"#
            body +=
                #"<text x="\#(n(width - right - 4))" y="\#(n(y(limit.value, yMax) - 4))" fill="rgb(214,39,40)" "#
                + #"text-anchor="end">\#(escape(limit.label))</text>"#
        }
        var legendX = left
        for item in series {
            body += #"<rect x="\#(n(legendX))" y="\#(n(top - 14))" width="12" height="4" fill="\#(item.color)"/>"#
            body += #"<text x="\#(n(legendX + 16))" y="\#(n(top - 9))">\#(escape(item.name))</text>"#
            legendX += 24 + Double(item.name.count) * 7
        }
        return frame(body)
    }

    /// A bar chart of equal-width buckets starting at `start`.
    func bars(start: Double, width bucket: Double, counts: [Int], color: String) -> String {
        let xMax = Swift.max(start + bucket * Double(counts.count), start + 1e-9)
        let yMax = Double(Swift.max(counts.max() ?? 1, 1)) * 1.1
        var body = axes(xMax: xMax, yMax: yMax, xMin: start)
        for (index, count) in counts.enumerated() where count > 0 {
            let x0 = x(start + bucket * Double(index), xMax, xMin: start)
            let x1 = x(start + bucket * Double(index + 1), xMax, xMin: start)
            let barTop = y(Double(count), yMax)
            body +=
                #"<rect x="\#(n(x0))" y="\#(n(barTop))" width="\#(n(Swift.max(1, x1 - x0 - 1)))" "#
                + #"height="\#(n(height - bottom - barTop))" fill="\#(color)"/>"#
        }
        return frame(body)
    }

    private func x(_ value: Double, _ xMax: Double, xMin: Double = 0) -> Double {
        left + (value - xMin) / Swift.max(xMax - xMin, 1e-9) * (width - left - right)
    }

    private func y(_ value: Double, _ yMax: Double) -> Double {
        height - bottom - value / yMax * (height - top - bottom)
    }

    private func axes(xMax: Double, yMax: Double, xMin: Double = 0) -> String {
        let base = n(height - bottom)
        var out =
            #"<line x1="\#(n(left))" y1="\#(base)" x2="\#(n(width - right))" y2="\#(base)" stroke="rgb(51,51,51)"/>"#
        out += #"<line x1="\#(n(left))" y1="\#(n(top))" x2="\#(n(left))" y2="\#(base)" stroke="rgb(51,51,51)"/>"#
        for tick in 0...4 {
            let xValue = xMin + (xMax - xMin) * Double(tick) / 4
            let yValue = yMax * Double(tick) / 4
            let yAt = y(yValue, yMax)
            out +=
                #"<text x="\#(n(x(xValue, xMax, xMin: xMin)))" y="\#(n(height - bottom + 16))" "#
                + #"text-anchor="middle">\#(Self.label(xValue, step: (xMax - xMin) / 4))</text>"#
            out +=
                #"<text x="\#(n(left - 6))" y="\#(n(yAt + 4))" text-anchor="end">\#(Self.label(yValue, step: yMax / 4))</text>"#
            out +=
                #"<line x1="\#(n(left + 1))" x2="\#(n(width - right))" y1="\#(n(yAt))" y2="\#(n(yAt))" stroke="rgb(238,238,238)"/>"#
        }
        let middleY = n((top + height - bottom) / 2)
        out +=
            #"<text x="\#(n((left + width - right) / 2))" y="\#(n(height - 10))" "#
            + #"text-anchor="middle">\#(escape(xLabel))</text>"#
        out +=
            #"<text x="14" y="\#(middleY)" text-anchor="middle" "#
            + #"transform="rotate(-90 14 \#(middleY))">\#(escape(yLabel))</text>"#
        return out
    }

    private func frame(_ body: String) -> String {
        let size = #"width="\#(Int(width))" height="\#(Int(height))" viewBox="0 0 \#(Int(width)) \#(Int(height))""#
        return #"<figure><figcaption>\#(escape(title))</figcaption><svg xmlns="http://www.w3.org/2000/svg" "#
            + #"\#(size) font-family="sans-serif" font-size="11">\#(body)</svg></figure>"#
    }

    private func n(_ value: Double) -> String { String(format: "%.1f", value) }

    /// A tick label with as many decimals as the distance between ticks needs.
    static func label(_ value: Double, step: Double) -> String {
        let decimals = step > 0 ? Swift.min(4, Swift.max(0, Int((-log10(step)).rounded(.up)) + 1)) : 1
        return String(format: "%.\(decimals)f", value)
    }
}

/// Escapes text for HTML and SVG.
func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
