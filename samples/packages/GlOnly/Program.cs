using ConsistencyModels.Runtime;
using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;

// The default model on the GPU of a headless EGL context (a game would pass its own GL): one 64×64 texture written by
// the compute backend with imageStore, read back here only to save it as a PPM and check it is not flat.
string output = args.Length > 0 ? args[0] : "texture.ppm";
using var context = GlContext.CreateHeadless();
var gl = context.GL;
using var generator = GlComputeTextureGenerator.LoadDefault(gl);
Console.WriteLine(generator.Description);
int bricks = generator.ClassNames.ToList().IndexOf("Bricks");
var request = new TextureRequest(64, 64, Math.Max(0, bricks), 1, 7, 0);
while (!generator.TrySubmit(request)) generator.Poll();
gl.Finish();
generator.Poll();
var rgba = new byte[4 * 64 * 64];
unsafe
{
    fixed (byte* p = rgba) gl.GetTextureImage(generator.CurrentTexture, 0, PixelFormat.Rgba, PixelType.UnsignedByte, (uint)rgba.Length, p);
}
if (gl.GetError() != GLEnum.NoError) { Console.Error.WriteLine("error: GL reported an error"); return 1; }
using (var file = File.Create(output))
{
    file.Write(System.Text.Encoding.ASCII.GetBytes("P6\n64 64\n255\n"));
    for (int i = 0; i < 64 * 64; i++) file.Write(rgba.AsSpan(4 * i, 3));
}
double mean = 0, square = 0;
for (int i = 0; i < 64 * 64; i++) { double y = rgba[4 * i]; mean += y; square += y * y; }
mean /= 64 * 64;
double deviation = Math.Sqrt(Math.Max(0, square / (64 * 64) - mean * mean));
Console.WriteLine($"wrote {output}: 64×64, red mean {mean:F1}, deviation {deviation:F1}; libtorch loaded: {AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "TorchSharp")}");
return deviation > 2 ? 0 : 1;
