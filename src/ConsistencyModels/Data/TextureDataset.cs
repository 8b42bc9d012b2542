using ConsistencyModels.Imaging;
namespace ConsistencyModels.Data;

/// <summary>
/// Source textures for training: a folder of PNG/JPEG images (flat = one class "default", or one subfolder
/// per class), or a GIMP pattern folder (<c>.pat</c> files, optionally in category subfolders; one class per
/// pattern, named by the pattern). Images are held as planar RGB in [-1, 1]; gray is replicated, alpha dropped.
/// </summary>
public sealed class TextureDataset
{
    /// <summary>Class name of a flat image folder.</summary>
    public const string DefaultClassName = "default";

    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg"];

    private TextureDataset(string root, TextureSourceKind kind, IReadOnlyList<string> classNames, IReadOnlyList<TextureImage> images, string hash)
    {
        Root = root;
        Kind = kind;
        ClassNames = classNames;
        Images = images;
        Hash = hash;
    }

    /// <summary>The folder the data came from (full path).</summary>
    public string Root { get; }

    /// <summary>How the folder was interpreted.</summary>
    public TextureSourceKind Kind { get; }

    /// <summary>Class names; a class label is an index into this list.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The images, sorted by relative path.</summary>
    public IReadOnlyList<TextureImage> Images { get; }

    /// <summary>The <see cref="DataHash"/> of the files used (for model metadata).</summary>
    public string Hash { get; }

    /// <summary>
    /// Whether the images are known to tile seamlessly (GIMP patterns are tiles by construction): then a crop larger
    /// than an image is a wrap-around crop of the texture as a game shows it, and <see cref="CropSampler"/> allows it.
    /// </summary>
    public bool Tiles => Kind == TextureSourceKind.GimpPatterns;

    /// <summary>The smallest side over all images.</summary>
    public int MinSide => Images.Min(i => Math.Min(i.Pixels.Height, i.Pixels.Width));

    /// <summary>Loads a folder (see the class summary for the layouts understood).</summary>
    /// <exception cref="DataException">Missing folder, no images, unreadable image, unknown category, image smaller than <see cref="TextureDatasetOptions.MinSize"/>.</exception>
    /// <exception cref="InvalidDataException">A corrupt <c>.pat</c> file (the message names it).</exception>
    public static TextureDataset Load(string path, TextureDatasetOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new TextureDatasetOptions();
        Guard.AtLeast(options.MinSize, 0, "options.MinSize");
        string root = Path.GetFullPath(path);
        if (File.Exists(root))
            throw new DataException($"Data path is a file, expected a folder of images or GIMP patterns: {root}", root);
        if (!Directory.Exists(root))
            throw new DataException($"Data folder not found: {root}", root);

        var subdirs = Directory.GetDirectories(root).OrderBy(d => d, StringComparer.Ordinal).ToArray();
        var patTop = FilesWith(root, [".pat"]);
        bool isGimp = patTop.Length > 0 || subdirs.Any(d => FilesWith(d, [".pat"]).Length > 0);
        var dataset = isGimp ? LoadGimp(root, patTop, subdirs, options) : LoadImages(root, subdirs);

        if (options.MinSize > 0)
            foreach (var img in dataset.Images)
                if (Math.Min(img.Pixels.Height, img.Pixels.Width) < options.MinSize)
                    throw new DataException($"Image {img.SourcePath} is {img.Pixels.Width}x{img.Pixels.Height}, smaller than the required {options.MinSize} px.", img.SourcePath);
        return dataset;
    }

    private static TextureDataset LoadImages(string root, string[] subdirs)
    {
        var top = FilesWith(root, ImageExtensions);
        if (top.Length > 0)
        {
            var images = top.Select(f => new TextureImage(Path.GetFileName(f), f, 0, ImageIO.LoadPlanar(f))).ToList();
            return new TextureDataset(root, TextureSourceKind.FlatImages, [DefaultClassName], images, DataHash.Compute(root, top));
        }
        var classes = new List<string>();
        var list = new List<TextureImage>();
        var files = new List<string>();
        foreach (var dir in subdirs)
        {
            var f = FilesWith(dir, ImageExtensions);
            if (f.Length == 0)
                continue;
            int cls = classes.Count;
            classes.Add(Path.GetFileName(dir));
            foreach (var file in f)
                list.Add(new TextureImage(Path.GetFileName(file), file, cls, ImageIO.LoadPlanar(file)));
            files.AddRange(f);
        }
        if (list.Count == 0)
            throw new DataException($"No images (.png, .jpg, .jpeg) or GIMP patterns (.pat) in {root} or its subfolders.", root);
        return new TextureDataset(root, TextureSourceKind.ClassFolders, classes, list, DataHash.Compute(root, files));
    }

    private static TextureDataset LoadGimp(string root, string[] patTop, string[] subdirs, TextureDatasetOptions options)
    {
        var files = new List<string>();
        if (options.Categories is null)
        {
            files.AddRange(patTop);
            foreach (var d in subdirs)
                files.AddRange(FilesWith(d, [".pat"]));
        }
        else
        {
            foreach (var cat in options.Categories)
            {
                var dir = subdirs.FirstOrDefault(d => string.Equals(Path.GetFileName(d), cat, StringComparison.OrdinalIgnoreCase));
                if (dir is null)
                    throw new DataException($"Pattern category '{cat}' not found in {root} (found: {string.Join(", ", subdirs.Select(Path.GetFileName))}).", root);
                var f = FilesWith(dir, [".pat"]);
                if (f.Length == 0)
                    throw new DataException($"Pattern category folder {dir} holds no .pat files.", dir);
                files.AddRange(f);
            }
        }
        if (files.Count == 0)
            throw new DataException($"No GIMP patterns (.pat) in {root}.", root);
        files = files.Distinct().OrderBy(f => Path.GetRelativePath(root, f).Replace('\\', '/'), StringComparer.Ordinal).ToList();

        var names = new List<string>();
        var images = new List<TextureImage>();
        foreach (var f in files)
        {
            var pat = GimpPattern.Read(f);
            string name = pat.Name.Length > 0 ? pat.Name : Path.GetFileNameWithoutExtension(f);
            if (names.Contains(name, StringComparer.Ordinal))
                name = $"{name} ({Path.GetFileNameWithoutExtension(f)})";
            images.Add(new TextureImage(name, f, names.Count, pat.ToPlanar()));
            names.Add(name);
        }
        return new TextureDataset(root, TextureSourceKind.GimpPatterns, names, images, DataHash.Compute(root, files));
    }

    private static string[] FilesWith(string dir, string[] extensions) =>
        Directory.GetFiles(dir)
            .Where(f => extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToArray();
}
