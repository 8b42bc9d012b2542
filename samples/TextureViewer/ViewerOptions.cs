using ConsistencyModels.Networks;
using ConsistencyModels.Runtime;

namespace TextureViewer;

/// <summary>Command-line options of the viewer.</summary>
internal sealed record ViewerOptions
{
    public string? Model { get; init; }
    public int Size { get; init; } = 128;
    public int Steps { get; init; } = 1;
    public string? ClassName { get; init; }
    public int? Frames { get; init; }
    public int FramesPerSecond { get; init; } = 60;
    public string OutputDirectory { get; init; } = "viewer-out";
    public bool Headless { get; init; }
    public string? Screenshot { get; init; }
    public ulong Seed { get; init; } = 1;
    public bool Help { get; init; }
    public bool CpuOnly { get; init; }
    public bool Procedural { get; init; }
    public NetworkPrecision Precision { get; init; } = NetworkPrecision.Auto;
    public TextureBackend Backend { get; init; } = TextureBackend.Auto;

    public const string Usage = """
        TextureViewer: live consistency-model textures on an OpenGL plane (window) or offscreen (headless).
          --model FILE        distilled consistency model (.safetensors); default: the model embedded in the runtime
          --procedural        use the procedural stand-in source instead of a model
          --size N            texture size in pixels (default 128)
          --steps 1|2         network evaluations per texture (default 1)
          --backend B         gl (the model in GL compute shaders, no libtorch), torch (libtorch on the CPU) or auto:
                              gl on a hardware GPU, torch on a software renderer (llvmpipe) (default auto)
          --precision P       auto (bf16 where the CPU has native bf16, else fp32), fp32 or bf16 (default auto)
          --class NAME        class to generate (default: the first)
          --seed N            noise seed (default 1)
          --frames N          frames to render, then exit (headless default 60; window: until Esc)
          --fps N             headless: frames per second to pace at, 0 = as fast as possible (default 60)
          --out DIR           output folder for PNGs and stats.json (default ./viewer-out)
          --headless          render offscreen with EGL even if a display exists
          --screenshot FILE   save the last rendered frame as PNG (window: the back buffer)
          --cpu               skip OpenGL: generate and write PNGs on the CPU (what happens when GL is missing)
        Keys (window): Left/Right class, 1/2 steps, N new seed, A animate on/off, S save PNG, Esc quit.
        """;

    /// <summary>Parses arguments; throws <see cref="ArgumentException"/> with a one-line message on bad input.</summary>
    public static ViewerOptions Parse(IReadOnlyList<string> args)
    {
        var o = new ViewerOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            int Int(int min, int max)
            {
                var text = Value();
                return int.TryParse(text, out var v) && v >= min && v <= max
                    ? v
                    : throw new ArgumentException($"{name} expects an integer in [{min}, {max}], got '{text}'.");
            }
            o = name switch
            {
                "--model" => o with { Model = Value() },
                "--size" => o with { Size = Int(8, 4096) },
                "--steps" => o with { Steps = Int(1, 2) },
                "--class" => o with { ClassName = Value() },
                "--precision" => o with
                {
                    Precision = NetworkPrecisions.TryParse(Value(), out var precision)
                        ? precision
                        : throw new ArgumentException($"--precision expects auto, fp32 or bf16, got '{args[i]}'."),
                },
                "--backend" => o with
                {
                    Backend = TextureBackends.TryParse(Value(), out var backend)
                        ? backend
                        : throw new ArgumentException($"--backend expects gl, torch or auto, got '{args[i]}'."),
                },
                "--frames" => o with { Frames = Int(1, int.MaxValue) },
                "--fps" => o with { FramesPerSecond = Int(0, 1000) },
                "--out" => o with { OutputDirectory = Value() },
                "--headless" => o with { Headless = true },
                "--cpu" => o with { CpuOnly = true },
                "--procedural" => o with { Procedural = true },
                "--screenshot" => o with { Screenshot = Value() },
                "--seed" => o with { Seed = ulong.TryParse(Value(), out var s) ? s : throw new ArgumentException($"--seed expects a non-negative integer, got '{args[i]}'.") },
                "--help" or "-h" => o with { Help = true },
                _ => throw new ArgumentException($"unknown option '{name}' (see --help)."),
            };
        }
        return o;
    }
}
