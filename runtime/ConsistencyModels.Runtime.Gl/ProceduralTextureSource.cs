namespace ConsistencyModels.Runtime;

/// <summary>
/// A deterministic, seamless analytic texture: per channel a normalised sum of plane waves
/// sin(2π(kx·x/W + ky·y/H) + φ + ω·t) with integer frequencies (so it tiles exactly), parameters drawn
/// from the seed and class with SplitMix64. Stands in for the model in tests and in the viewer.
/// Two steps add finer waves (a visible stand-in for the second consistency step's detail).
/// </summary>
public sealed class ProceduralTextureSource : ITextureSource
{
    /// <summary>The default model's classes (DESIGN.md, Data), so the viewer's class keys behave the same.</summary>
    public static readonly IReadOnlyList<string> DefaultClassNames =
        ["Stone", "Fabric", "Animal", "Paper", "Plant", "Sky", "Water", "Food"];

    private const int MaxWaves = 12;
    private readonly double[] amplitude = new double[MaxWaves * 3];
    private readonly int[] freqX = new int[MaxWaves];
    private readonly int[] freqY = new int[MaxWaves];
    private readonly double[] offset = new double[MaxWaves];
    private readonly double[] speed = new double[MaxWaves];
    private float[] columnSin = [], columnCos = [], rowSin = [], rowCos = [];

    /// <inheritdoc />
    public string Description => "procedural (seamless sum of sine waves, no model)";

    /// <inheritdoc />
    public IReadOnlyList<string> ClassNames => DefaultClassNames;

    /// <inheritdoc />
    public void Generate(in TextureRequest request, Span<float> destination)
    {
        request.Validate(DefaultClassNames.Count);
        if (destination.Length < request.PlanarLength)
            throw new ArgumentException($"destination must hold 3×{request.Height}×{request.Width} = {request.PlanarLength} floats, got {destination.Length}.", nameof(destination));

        int w = request.Width, h = request.Height;
        var waves = DrawWaves(request);
        EnsureTables(w, h);
        FillTables(waves, request.Phase, w, h);

        Span<double> norm = stackalloc double[3];
        for (var c = 0; c < 3; c++)
        {
            double sum = 0;
            for (var k = 0; k < waves; k++) sum += amplitude[k * 3 + c];
            norm[c] = 1.0 / sum;
        }

        Span<float> weights = stackalloc float[MaxWaves * 3];
        for (var k = 0; k < waves; k++)
            for (var c = 0; c < 3; c++)
                weights[k * 3 + c] = (float)(amplitude[k * 3 + c] * norm[c]);

        var plane = w * h;
        var r = destination[..plane];
        var g = destination.Slice(plane, plane);
        var b = destination.Slice(2 * plane, plane);
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                float vr = 0, vg = 0, vb = 0;
                for (var k = 0; k < waves; k++)
                {
                    // sin(A + B) = sin A cos B + cos A sin B: separable tables, one multiply-add per wave.
                    var s = columnSin[k * w + x] * rowCos[k * h + y] + columnCos[k * w + x] * rowSin[k * h + y];
                    vr += weights[k * 3] * s;
                    vg += weights[k * 3 + 1] * s;
                    vb += weights[k * 3 + 2] * s;
                }
                var i = y * w + x;
                r[i] = Contrast(vr);
                g[i] = Contrast(vg);
                b[i] = Contrast(vb);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() { }

    // A sum of many waves concentrates near 0 (grey); tanh(k·v)/tanh(k) restores contrast and keeps [-1, 1].
    private const float ContrastGain = 2.5f;
    private static readonly float ContrastScale = 1f / MathF.Tanh(ContrastGain);

    private static float Contrast(float v) => Math.Clamp(MathF.Tanh(ContrastGain * v) * ContrastScale, -1f, 1f);

    // Draws the wave parameters for a request; returns the wave count. The class sets the frequency band.
    private int DrawWaves(in TextureRequest request)
    {
        var waves = request.Steps == 2 ? MaxWaves : 6;
        var state = request.Seed * 0x9E3779B97F4A7C15UL ^ ((ulong)request.ClassIndex + 1) * 0xD1B54A32D192ED03UL;
        var band = 1 + request.ClassIndex % 4;
        for (var k = 0; k < waves; k++)
        {
            // Steps = 2: the extra waves are finer (twice the class band).
            var maxFreq = k < 6 ? band + 1 : 2 * band + 3;
            do
            {
                freqX[k] = (int)(NextUnit(ref state) * (2 * maxFreq + 1)) - maxFreq;
                freqY[k] = (int)(NextUnit(ref state) * (2 * maxFreq + 1)) - maxFreq;
            } while (freqX[k] == 0 && freqY[k] == 0);
            offset[k] = 2 * Math.PI * NextUnit(ref state);
            speed[k] = (NextUnit(ref state) < 0.5 ? -1 : 1) * (0.3 + NextUnit(ref state));
            var falloff = 1.0 / Math.Sqrt(freqX[k] * freqX[k] + freqY[k] * freqY[k]);
            for (var c = 0; c < 3; c++)
                amplitude[k * 3 + c] = falloff * (0.15 + NextUnit(ref state));
        }
        return waves;
    }

    private void EnsureTables(int w, int h)
    {
        if (columnSin.Length < MaxWaves * w) { columnSin = new float[MaxWaves * w]; columnCos = new float[MaxWaves * w]; }
        if (rowSin.Length < MaxWaves * h) { rowSin = new float[MaxWaves * h]; rowCos = new float[MaxWaves * h]; }
    }

    private void FillTables(int waves, double phase, int w, int h)
    {
        for (var k = 0; k < waves; k++)
        {
            var shift = offset[k] + speed[k] * phase;
            for (var x = 0; x < w; x++)
            {
                var a = 2 * Math.PI * freqX[k] * x / w + shift;
                columnSin[k * w + x] = (float)Math.Sin(a);
                columnCos[k * w + x] = (float)Math.Cos(a);
            }
            for (var y = 0; y < h; y++)
            {
                var b = 2 * Math.PI * freqY[k] * y / h;
                rowSin[k * h + y] = (float)Math.Sin(b);
                rowCos[k * h + y] = (float)Math.Cos(b);
            }
        }
    }

    // SplitMix64 (Steele, Lea, Flood 2014) mapped to [0, 1).
    private static double NextUnit(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
