using ConsistencyModels.Data;
using ConsistencyModels.Platform;
using StbImageSharp;
using StbImageWriteSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Imaging;

/// <summary>
/// PNG/JPEG loading and PNG saving of [-1, 1] image tensors, plus grids and 2×2 tilings for people to look at.
/// </summary>
public static class ImageIO
{
    /// <summary>Loads a PNG or JPEG as planar RGB in [-1, 1] (gray replicated, alpha dropped).</summary>
    /// <exception cref="DataException">Missing or undecodable file (the message names it).</exception>
    public static PlanarImage LoadPlanar(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new DataException($"Image file not found: {path}", path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"Cannot read image {path}: {PrintableText.Clean(e.Message)}", path, e);
        }
        ImageResult result;
        try
        {
            result = ImageResult.FromMemory(bytes, StbImageSharp.ColorComponents.RedGreenBlueAlpha); // alpha composited over white
        }
        catch (Exception e)
        {
            string detail = PrintableText.Clean(e.Message);
            throw new DataException($"Cannot decode image {path} (corrupt or not PNG/JPEG){(detail.Length > 0 ? ": " + detail : ".")}", path, e);
        }
        if (result?.Data is null || result.Width < 1 || result.Height < 1)
            throw new DataException($"Cannot decode image {path} (corrupt or not PNG/JPEG).", path);
        return PlanarImage.FromInterleaved(result.Data, result.Height, result.Width, 4);
    }

    /// <summary>Loads a PNG or JPEG as a float32 tensor [3, H, W] in [-1, 1] (caller owns it).</summary>
    public static Tensor Load(string path) => LoadPlanar(path).ToTensor();

    /// <summary>
    /// Saves an image tensor in [-1, 1] as an 8-bit RGB PNG: [3, H, W] as is, [B, 3, H, W] as a grid of
    /// ⌈√B⌉ columns. Values are clamped; the file is written to a temporary name and renamed.
    /// </summary>
    public static void SavePng(Tensor image, string path)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var scope = torch.NewDisposeScope();
        var img = image;
        if (img.dim() == 4)
            img = Grid(img, (int)Math.Ceiling(Math.Sqrt(img.shape[0])));
        CheckImage(img, nameof(image));
        int h = (int)img.shape[1], w = (int)img.shape[2];
        var rgb = ToBytes(img);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
            Directory.CreateDirectory(dir);
        string tmp = path + ".tmp";
        using (var stream = File.Create(tmp))
            new ImageWriter().WritePng(rgb, w, h, StbImageWriteSharp.ColorComponents.RedGreenBlue, stream);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Interleaved 8-bit RGB bytes of a [3, H, W] tensor in [-1, 1] (rounded, clamped).</summary>
    public static byte[] ToBytes(Tensor image)
    {
        CheckImage(image, nameof(image));
        using var scope = torch.NewDisposeScope();
        var u8 = image.detach().to(float32).cpu().Plus(1).Times(127.5).round().Clamp(0, 255).to(uint8).permute(1, 2, 0).contiguous();
        return u8.data<byte>().ToArray();
    }

    /// <summary>
    /// Arranges a batch [B, 3, H, W] into one image [3, H', W'] with <paramref name="columns"/> columns and
    /// <paramref name="padding"/> pixels of <paramref name="padValue"/> between and around the cells. With
    /// <paramref name="labels"/> (one per image), each cell gets its label drawn above it in a small bitmap font.
    /// </summary>
    public static Tensor Grid(Tensor batch, int columns, int padding = 2, IReadOnlyList<string>? labels = null, float padValue = 1f)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.dim() != 4 || batch.shape[1] != 3)
            throw new ArgumentException($"batch must be [B, 3, H, W], got [{string.Join(", ", batch.shape)}].", nameof(batch));
        Guard.AtLeast(columns, 1, nameof(columns));
        Guard.AtLeast(padding, 0, nameof(padding));
        int b = (int)batch.shape[0], h = (int)batch.shape[2], w = (int)batch.shape[3];
        if (labels is not null && labels.Count != b)
            throw new ArgumentException($"labels must have one entry per image ({b}), got {labels.Count}.", nameof(labels));
        int cols = Math.Min(columns, Math.Max(b, 1));
        int rows = (b + cols - 1) / cols;
        int labelH = labels is null ? 0 : BitmapFont.LineHeight;
        int cellH = h + labelH, cellW = w;
        int outH = rows * cellH + (rows + 1) * padding, outW = cols * cellW + (cols + 1) * padding;
        using var scope = torch.NewDisposeScope();
        var grid = ScalarArithmetic.Full(new long[] { 3, outH, outW }, padValue, dtype: float32);
        var src = batch.detach().to(float32).cpu();
        for (int i = 0; i < b; i++)
        {
            int y = padding + (i / cols) * (cellH + padding) + labelH;
            int x = padding + (i % cols) * (cellW + padding);
            grid[.., y..(y + h), x..(x + w)] = src[i];
        }
        if (labels is not null)
        {
            var data = grid.data<float>().ToArray();
            for (int i = 0; i < b; i++)
            {
                int y = padding + (i / cols) * (cellH + padding);
                int x = padding + (i % cols) * (cellW + padding);
                BitmapFont.Draw(data, outH, outW, labels[i], y + 1, x, cellW, padValue > 0 ? -1f : 1f);
            }
            grid = torch.tensor(data, new long[] { 3, outH, outW });
        }
        return grid.MoveToOuterDisposeScope();
    }

    /// <summary>Repeats a [3, H, W] (or [B, 3, H, W]) image <paramref name="ny"/>×<paramref name="nx"/> times, to show seams.</summary>
    public static Tensor Tile(Tensor image, int nx = 2, int ny = 2)
    {
        ArgumentNullException.ThrowIfNull(image);
        Guard.AtLeast(nx, 1, nameof(nx));
        Guard.AtLeast(ny, 1, nameof(ny));
        return image.dim() switch
        {
            3 => image.repeat(1, ny, nx),
            4 => image.repeat(1, 1, ny, nx),
            _ => throw new ArgumentException($"image must be [3, H, W] or [B, 3, H, W], got [{string.Join(", ", image.shape)}].", nameof(image)),
        };
    }

    private static void CheckImage(Tensor image, string name)
    {
        if (image.dim() != 3 || image.shape[0] != 3)
            throw new ArgumentException($"{name} must be [3, H, W], got [{string.Join(", ", image.shape)}].", name);
    }
}
