namespace ConsistencyModels.Imaging;

/// <summary>
/// A tiny 3×5 pixel font (upper-case letters, digits, a little punctuation) for labelling image grids
/// without a font library. Lower case is drawn as upper case; unknown characters as '?'.
/// </summary>
internal static class BitmapFont
{
    /// <summary>Glyph width plus one pixel of spacing.</summary>
    public const int Advance = 4;

    /// <summary>Glyph height plus one pixel above and below.</summary>
    public const int LineHeight = 7;

    // Each glyph: five rows, top to bottom, three bits each (bit 2 = left column).
    private static readonly Dictionary<char, int[]> Glyphs = new()
    {
        ['A'] = [2, 5, 7, 5, 5], ['B'] = [6, 5, 6, 5, 6], ['C'] = [3, 4, 4, 4, 3], ['D'] = [6, 5, 5, 5, 6],
        ['E'] = [7, 4, 6, 4, 7], ['F'] = [7, 4, 6, 4, 4], ['G'] = [3, 4, 5, 5, 3], ['H'] = [5, 5, 7, 5, 5],
        ['I'] = [7, 2, 2, 2, 7], ['J'] = [1, 1, 1, 5, 2], ['K'] = [5, 5, 6, 5, 5], ['L'] = [4, 4, 4, 4, 7],
        ['M'] = [5, 7, 7, 5, 5], ['N'] = [6, 5, 5, 5, 5], ['O'] = [2, 5, 5, 5, 2], ['P'] = [6, 5, 6, 4, 4],
        ['Q'] = [2, 5, 5, 6, 3], ['R'] = [6, 5, 6, 5, 5], ['S'] = [3, 4, 2, 1, 6], ['T'] = [7, 2, 2, 2, 2],
        ['U'] = [5, 5, 5, 5, 7], ['V'] = [5, 5, 5, 5, 2], ['W'] = [5, 5, 7, 7, 5], ['X'] = [5, 5, 2, 5, 5],
        ['Y'] = [5, 5, 2, 2, 2], ['Z'] = [7, 1, 2, 4, 7],
        ['0'] = [7, 5, 5, 5, 7], ['1'] = [2, 6, 2, 2, 7], ['2'] = [6, 1, 2, 4, 7], ['3'] = [6, 1, 2, 1, 6],
        ['4'] = [5, 5, 7, 1, 1], ['5'] = [7, 4, 6, 1, 6], ['6'] = [3, 4, 7, 5, 7], ['7'] = [7, 1, 2, 2, 2],
        ['8'] = [7, 5, 7, 5, 7], ['9'] = [7, 5, 7, 1, 6],
        [' '] = [0, 0, 0, 0, 0], ['.'] = [0, 0, 0, 0, 2], [','] = [0, 0, 0, 2, 4], ['-'] = [0, 0, 7, 0, 0],
        ['_'] = [0, 0, 0, 0, 7], [':'] = [0, 2, 0, 2, 0], ['='] = [0, 7, 0, 7, 0], ['+'] = [0, 2, 7, 2, 0],
        ['/'] = [1, 1, 2, 4, 4], ['#'] = [5, 7, 5, 7, 5], ['('] = [1, 2, 2, 2, 1], [')'] = [4, 2, 2, 2, 4],
        ['!'] = [2, 2, 2, 0, 2], ['?'] = [6, 1, 2, 0, 2], ['%'] = [5, 1, 2, 4, 5], ['\''] = [2, 2, 0, 0, 0],
    };

    /// <summary>
    /// Draws <paramref name="text"/> into planar [3, H, W] <paramref name="data"/> at (<paramref name="top"/>, <paramref name="left"/>),
    /// clipped to <paramref name="maxWidth"/> pixels, in gray level <paramref name="value"/> on all channels.
    /// </summary>
    public static void Draw(float[] data, int height, int width, string text, int top, int left, int maxWidth, float value)
    {
        int plane = height * width;
        for (int n = 0; n < text.Length; n++)
        {
            int x0 = left + n * Advance;
            if (x0 + 3 > left + maxWidth)
                break;
            if (!Glyphs.TryGetValue(char.ToUpperInvariant(text[n]), out var g))
                g = Glyphs['?'];
            for (int r = 0; r < 5; r++)
                for (int c = 0; c < 3; c++)
                {
                    if ((g[r] & (4 >> c)) == 0)
                        continue;
                    int y = top + r, x = x0 + c;
                    if (y < 0 || y >= height || x < 0 || x >= width)
                        continue;
                    for (int ch = 0; ch < 3; ch++)
                        data[ch * plane + y * width + x] = value;
                }
        }
    }
}
