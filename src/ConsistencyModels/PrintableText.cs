using System.Text;
using System.Text.RegularExpressions;

namespace ConsistencyModels;

/// <summary>Makes text from outside (decoder messages, file contents) safe for a one-line message.</summary>
public static partial class PrintableText
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

    /// <summary>libtorch appends its C++ stack ("Exception raised from ... frame #0: ...") to its messages: keep the
    /// sentence, drop the rest (the cm tool's <c>--verbose</c> output has it).</summary>
    public static string WithoutNativeTrace(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        foreach (var marker in new[] { " (Could this error message be improved?", "Exception raised from " })
        {
            int cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
        }
        return WithoutNativeFrames(message);
    }

    /// <summary>Cuts a message at its first native stack frame (<c>frame #N:</c>), wherever it appears.</summary>
    public static string WithoutNativeFrames(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var frame = NativeFrame().Match(message);
        return frame.Success ? message[..frame.Index] : message;
    }

    [GeneratedRegex(@"frame #\d+")]
    private static partial Regex NativeFrame();
}
