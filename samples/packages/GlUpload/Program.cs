// The README's "In your engine" loop in a headless GL context (EGL): a producer generates on its own thread, the
// render loop uploads the newest texture through GlTextureSink, and the result read back from GL must equal the
// CPU conversion of the same texture. Exit code 0 when it does.
using ConsistencyModels.Runtime;
using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;

using var context = GlContext.CreateHeadless();   // in a game: your window's context
GL gl = context.GL;
Console.WriteLine(context.Description);

using var generator = TextureGenerator.LoadDefault();
var request = new TextureRequest(Width: 64, Height: 64, ClassIndex: generator.ClassIndex("Bricks"), Steps: 1, Seed: 7, Phase: 0);
using var sink = new GlTextureSink(gl, request.Width, request.Height);
using (var producer = new TextureProducer(generator, request, animate: false))
{
    var deadline = DateTime.UtcNow.AddSeconds(60);
    while (!sink.Update(producer.Frames))   // every frame of a game; here until the first texture arrives
    {
        if (producer.Error is { } error) throw error;
        if (DateTime.UtcNow > deadline) throw new TimeoutException("no texture from the producer in 60 s");
        Thread.Sleep(5);
    }
}
gl.BindTexture(TextureTarget.Texture2D, sink.CurrentTexture);
if (sink.CurrentTexture == 0) throw new InvalidOperationException("the sink has no texture after an upload");

var fromGl = new byte[4 * request.Width * request.Height];
sink.ReadCurrent(fromGl);
var planar = new float[request.PlanarLength];
generator.Generate(request, planar);
var expected = new byte[fromGl.Length];
PlanarTextureConversion.ToRgba8(planar, request.Width, request.Height, expected);
int worst = 0;
for (int i = 0; i < fromGl.Length; i++) worst = Math.Max(worst, Math.Abs(fromGl[i] - expected[i]));
Console.WriteLine($"uploaded {request.Width}x{request.Height} '{generator.ClassNames[request.ClassIndex]}' into GL texture {sink.CurrentTexture}; largest difference to the CPU conversion: {worst}/255");
return worst <= 1 ? 0 : 1;
