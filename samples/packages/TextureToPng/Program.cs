// Generates one texture with the default model and writes it as a PNG: what a game does at load time.
// Usage: TextureToPng [out.png] [class name]
using ConsistencyModels.Runtime;
using StbImageWriteSharp;

var path = args.Length > 0 ? args[0] : "texture.png";
using var generator = TextureGenerator.LoadDefault();
var classIndex = args.Length > 1 ? generator.ClassIndex(args[1]) : 0;
var request = new TextureRequest(Width: 128, Height: 128, ClassIndex: classIndex, Steps: 2, Seed: 42, Phase: 0);
var planar = new float[request.PlanarLength];
generator.Generate(request, planar);
var rgba = new byte[4 * request.Width * request.Height];
PlanarTextureConversion.ToRgba8(planar, request.Width, request.Height, rgba);
using (var file = File.Create(path))
    new ImageWriter().WritePng(rgba, request.Width, request.Height, ColorComponents.RedGreenBlueAlpha, file);
Console.WriteLine($"{generator.Description}: '{generator.ClassNames[classIndex]}' {request.Width}x{request.Height} -> {path}");
