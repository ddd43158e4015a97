/// A figure like the paper's Figure 1: one row per test slice; the first
/// column is the grey image, each further column the image with a label map
/// (ground truth, then each loss's prediction) drawn over it in class colours.
public struct OverlayGrid {
    /// One slice: its image and one label map per overlay column.
    public struct Row {
        /// Shown along the row's left edge (e.g. "case 7, z 4"); may be empty.
        public var title: String
        /// Intensities, `height * width` values, row-major.
        public var image: [Float]
        /// Class per pixel (0 = background, not drawn), `height * width` each.
        public var labelMaps: [[UInt8]]

        public init(title: String = "", image: [Float], labelMaps: [[UInt8]]) {
            self.title = title; self.image = image; self.labelMaps = labelMaps
        }
    }

    /// Slice size in pixels.
    public var width: Int, height: Int
    /// One title per column: the image column first, then one per label map.
    public var columnTitles: [String]
    /// Class names; index 0 is the background and is neither drawn nor listed.
    public var classNames: [String]
    /// Colour of class k at index k (index 0 unused); defaults to `Color.classPalette`.
    public var classColors: [Color]
    /// Opacity of the class colours over the image.
    public var alpha = 0.5
    /// Each slice pixel is drawn as a `pixelScale` x `pixelScale` square.
    public var pixelScale: Int
    public var rows: [Row]

    public init(width: Int, height: Int, columnTitles: [String], classNames: [String],
                rows: [Row]) {
        self.width = width; self.height = height
        self.columnTitles = columnTitles; self.classNames = classNames; self.rows = rows
        classColors = [Color.black] + (1..<max(classNames.count, 1)).map {
            Color.classPalette[($0 - 1) % Color.classPalette.count]
        }
        // Cells of about 200 pixels, whatever the slice size.
        pixelScale = min(max(200 / max(width, height, 1), 1), 16)
    }

    static let gap = 8, margin = 12, textScale = 2

    /// Grey levels 0...255 for `image`: intensities between its 1st and 99th
    /// percentiles (nearest rank over finite values) map linearly onto 0...255,
    /// rounded; values outside are clamped, non-finite values are black.
    public static func grayLevels(_ image: [Float]) -> [UInt8] {
        let sorted = image.filter(\.isFinite).sorted()
        guard !sorted.isEmpty else { return [UInt8](repeating: 0, count: image.count) }
        func percentile(_ p: Double) -> Float {
            sorted[Int((p * Double(sorted.count - 1)).rounded())]
        }
        let lo = percentile(0.01), hi = percentile(0.99)
        let span = hi > lo ? hi - lo : 1
        return image.map { v in
            guard v.isFinite else { return 0 }
            return UInt8((min(max((v - lo) / span, 0), 1) * 255).rounded())
        }
    }

    func validate() throws {
        let pixels = width * height
        guard width > 0, height > 0 else { throw FigureError.invalidInput("slice size \(width)x\(height)") }
        guard !rows.isEmpty else { throw FigureError.invalidInput("no rows to draw") }
        guard classColors.count >= classNames.count else {
            throw FigureError.invalidInput("\(classNames.count) classes but \(classColors.count) colours")
        }
        for (r, row) in rows.enumerated() {
            guard row.image.count == pixels else {
                throw FigureError.invalidInput("row \(r): image has \(row.image.count) values, expected \(width)x\(height)")
            }
            guard row.labelMaps.count + 1 == columnTitles.count else {
                throw FigureError.invalidInput("row \(r): \(row.labelMaps.count) label maps for \(columnTitles.count) columns (image + one per map)")
            }
            for (c, map) in row.labelMaps.enumerated() {
                guard map.count == pixels else {
                    throw FigureError.invalidInput("row \(r), map \(c): \(map.count) labels, expected \(width)x\(height)")
                }
                if let bad = map.first(where: { Int($0) >= classNames.count }) {
                    throw FigureError.invalidInput("row \(r), map \(c): label \(bad) but only \(classNames.count) classes")
                }
            }
        }
    }

    /// Top-left corner of cell (row, column) on the canvas.
    public func cellOrigin(row: Int, column: Int) -> (x: Int, y: Int) {
        let s = Self.textScale
        let left = Self.margin + (rows.contains { !$0.title.isEmpty } ? BitmapFont.height(scale: s) + Self.gap : 0)
        let top = Self.margin + BitmapFont.height(scale: s) + Self.gap
        return (left + column * (width * pixelScale + Self.gap),
                top + row * (height * pixelScale + Self.gap))
    }

    /// Draws the grid on a white canvas; throws `FigureError.invalidInput` if
    /// sizes or labels do not fit together.
    public func render() throws -> Canvas {
        try validate()
        let s = Self.textScale, ink = Color.gray(40)
        let cellW = width * pixelScale, cellH = height * pixelScale
        let lineHeight = BitmapFont.height(scale: s)
        let legendY = cellOrigin(row: rows.count, column: 0).y + 4
        let legend = classNames.enumerated().dropFirst()
        let legendWidth = legend.reduce(0) { $0 + 24 + BitmapFont.width(of: $1.element, scale: s) + 20 }
        let gridRight = cellOrigin(row: 0, column: columnTitles.count).x
        var canvas = Canvas(width: max(gridRight, Self.margin + legendWidth) + Self.margin - Self.gap,
                            height: legendY + lineHeight + Self.margin)

        for (column, title) in columnTitles.enumerated() {
            let x = cellOrigin(row: 0, column: column).x + cellW / 2
            // Fall back to the small font if the title is wider than its column.
            let scale = BitmapFont.width(of: title, scale: s) <= cellW ? s : 1
            canvas.drawText(title, centeredAt: x, y: Self.margin + lineHeight - BitmapFont.height(scale: scale),
                            color: ink, scale: scale)
        }
        for (r, row) in rows.enumerated() {
            let grey = Self.grayLevels(row.image)
            let origin = cellOrigin(row: r, column: 0)
            if !row.title.isEmpty {
                canvas.drawText(row.title, x: Self.margin,
                                y: origin.y + cellH / 2 + BitmapFont.width(of: row.title, scale: s) / 2,
                                color: ink, scale: s, direction: .upward)
            }
            for column in 0..<columnTitles.count {
                let (x0, y0) = cellOrigin(row: r, column: column)
                // A thin frame, so white image regions stay apart from the page.
                canvas.strokeRect(x: x0 - 1, y: y0 - 1, width: cellW + 2, height: cellH + 2,
                                  color: .gray(200))
                for i in 0..<(width * height) {
                    let px = x0 + (i % width) * pixelScale, py = y0 + (i / width) * pixelScale
                    canvas.fillRect(x: px, y: py, width: pixelScale, height: pixelScale,
                                    color: .gray(grey[i]))
                    if column > 0, case let k = Int(row.labelMaps[column - 1][i]), k > 0 {
                        canvas.fillRect(x: px, y: py, width: pixelScale, height: pixelScale,
                                        color: classColors[k].withAlpha(alpha))
                    }
                }
            }
        }

        // Legend: a swatch of each class's colour and its name.
        var x = Self.margin
        for (k, name) in legend {
            canvas.fillRect(x: x, y: legendY, width: 16, height: lineHeight, color: classColors[k])
            canvas.drawText(name, x: x + 24, y: legendY, color: ink, scale: s)
            x += 24 + BitmapFont.width(of: name, scale: s) + 20
        }
        return canvas
    }

    /// Renders the grid and writes it as a PNG file.
    public func write(to path: String) throws {
        try render().writePNG(to: path)
    }
}
