using System.Text;

namespace ConsistencyModels;

/// <summary>Makes text from outside (decoder messages, file contents) safe for a one-line message.</summary>
public static class PrintableText
{
    /// <summary>
    /// Replaces every control character (NUL, escape, line breaks, ...) with a space, collapses runs of spaces and
    /// trims: a truncated PNG's decoder message ends in dozens of NUL bytes that would otherwise reach the terminal.
    /// </summary>
    /// <param name="text">The text (may be null).</param>
    /// <returns>The cleaned text; empty for null.</returns>
    public static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(text.Length);
        bool space = false;
        foreach (char c in text)
        {
            bool blank = char.IsControl(c) || char.IsWhiteSpace(c) || c is '\uFFFD' or '\u2028' or '\u2029';
            if (blank)
            {
                space = sb.Length > 0;
                continue;
            }
            if (space) sb.Append(' ');
            space = false;
            sb.Append(c);
        }
        return sb.ToString();
    }
}
