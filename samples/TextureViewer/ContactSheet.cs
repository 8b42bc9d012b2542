namespace TextureViewer;

/// <summary>
/// A grid of equally sized RGBA8 images (2-pixel dark gaps), allocated once with room for every cell, so capturing
/// frames during a long run adds no memory: the headless viewer's RSS stays flat however many frames it renders.
/// </summary>
internal sealed class ContactSheet
{
    private const int Gap = 2;
    private readonly int cellWidth, cellHeight, columns;

    /// <summary>A sheet of <paramref name="cells"/> cells of <paramref name="cellWidth"/>×<paramref name="cellHeight"/>, <paramref name="columns"/> per row.</summary>
    public ContactSheet(int cellWidth, int cellHeight, int columns, int cells)
    {
        if (cellWidth < 1 || cellHeight < 1 || columns < 1 || cells < 1)
            throw new ArgumentOutOfRangeException(nameof(cells), "a contact sheet needs at least one cell of at least 1×1.");
        this.cellWidth = cellWidth;
        this.cellHeight = cellHeight;
        this.columns = Math.Min(columns, cells);
        Capacity = cells;
        var rows = (cells + this.columns - 1) / this.columns;
        Width = this.columns * cellWidth + (this.columns + 1) * Gap;
        Height = rows * cellHeight + (rows + 1) * Gap;
        Rgba = new byte[4 * Width * Height];
        for (var i = 0; i < Rgba.Length; i += 4) { Rgba[i] = Rgba[i + 1] = Rgba[i + 2] = 24; Rgba[i + 3] = 255; }
    }

    /// <summary>Sheet width in pixels.</summary>
    public int Width { get; }

    /// <summary>Sheet height in pixels.</summary>
    public int Height { get; }

    /// <summary>The whole sheet, RGBA8, row 0 at the top.</summary>
    public byte[] Rgba { get; }

    /// <summary>Number of cells.</summary>
    public int Capacity { get; }

    /// <summary>Cells filled so far.</summary>
    public int Count { get; private set; }

    /// <summary>Whether every cell is filled.</summary>
    public bool IsFull => Count == Capacity;

    /// <summary>Copies one cell-sized RGBA8 image (row 0 at the top) into the next free cell.</summary>
    /// <exception cref="InvalidOperationException">The sheet is full.</exception>
    public void Add(ReadOnlySpan<byte> rgba)
    {
        if (IsFull) throw new InvalidOperationException($"the contact sheet holds {Capacity} images and is full.");
        var stride = 4 * cellWidth;
        if (rgba.Length < stride * cellHeight)
            throw new ArgumentException($"a cell needs {stride * cellHeight} bytes, got {rgba.Length}.", nameof(rgba));
        int x0 = Gap + (Count % columns) * (cellWidth + Gap), y0 = Gap + (Count / columns) * (cellHeight + Gap);
        for (var y = 0; y < cellHeight; y++)
            rgba.Slice(y * stride, stride).CopyTo(Rgba.AsSpan(4 * ((y0 + y) * Width + x0)));
        Count++;
    }
}
