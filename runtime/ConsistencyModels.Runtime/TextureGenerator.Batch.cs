using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace ConsistencyModels.Runtime;

// What a game programmer reaches for beyond one texture per call: several materials in one forward, async
// generation with cancellation, and a loud failure when two threads share one generator (its buffers are per call).
public sealed partial class TextureGenerator
{
    private int busyThread;                      // managed thread id inside Generate, 0 when idle
    private readonly SemaphoreSlim asyncGate = new(1, 1);
    private Tensor? batchFirst, batchSecond;     // device [N, 3, H, W]: σmax·z and √(τ²−ε²)·z′ per request
    private Tensor? batchOutput;                 // device [N, 3, H, W]
    private Tensor? batchLabels;                 // device int64 [N]
    private Tensor? batchLabelsCpu;              // CPU int64 [N], filled per call and copied over
    private int batchCount, batchWidth, batchHeight;

    /// <summary>Test hook: runs inside the exclusive section of every generation call (null in production).</summary>
    internal Action? InsideGenerateForTests { get; set; }

    /// <summary>
    /// Generates several textures in one batched forward (a batch of N is one network evaluation per step for all N,
    /// cheaper per texture than N calls on most devices: docs/RESULTS.md "Batched generation"). All requests share
    /// width, height and steps; class, seed and phase may differ. Texture i is written planar [3, H, W] to
    /// <paramref name="destination"/>[i·3·H·W ..], each equal to what <see cref="Generate(in TextureRequest, Span{float})"/>
    /// writes for that request (to float rounding: the batch runs the same kernels on a larger tensor).
    /// Buffers are kept for the last batch shape; a steady state allocates only a few small tensor wrappers per call.
    /// </summary>
    /// <exception cref="ArgumentException">No request, requests of different sizes or steps, an invalid request, or
    /// <paramref name="destination"/> shorter than N·3·H·W.</exception>
    /// <exception cref="InvalidOperationException">Another thread is generating with this generator right now.</exception>
    public void Generate(ReadOnlySpan<TextureRequest> requests, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using var use = EnterExclusive(nameof(Generate));
        if (requests.Length == 0) throw new ArgumentException("at least one request is needed.", nameof(requests));
        var first = requests[0];
        for (int i = 0; i < requests.Length; i++)
        {
            var r = requests[i];
            if (r.Width != first.Width || r.Height != first.Height || r.Steps != first.Steps)
                throw new ArgumentException($"request {i} is {r.Width}×{r.Height} with {r.Steps} step(s), request 0 {first.Width}×{first.Height} with {first.Steps}: "
                    + "a batch shares size and steps (generate other sizes in their own batch).", nameof(requests));
            Validate(r, int.MaxValue);
        }
        long per = first.PlanarLength;
        if (destination.Length < per * requests.Length)
            throw new ArgumentException($"destination must hold {requests.Length}×3×{first.Height}×{first.Width} = {per * requests.Length} floats, got {destination.Length}.", nameof(destination));
        if (requests.Length == 1)
        {
            GenerateUnguarded(first, destination);
            return;
        }

        int n = requests.Length;
        EnsureBatch(n, first.Width, first.Height);
        bool two = first.Steps == 2 && renoises; // a plan without re-noising draws no second noise
        var labelSpan = batchLabelsCpu is null ? default : MemoryMarshal.Cast<byte, long>(batchLabelsCpu.bytes);
        for (int i = 0; i < n; i++)
        {
            PrepareNoise(requests[i]);
            using (var slot = batchFirst!.narrow(0, i, 1)) slot.copy_(inputFirst!);
            if (two) using (var slot = batchSecond!.narrow(0, i, 1)) slot.copy_(inputSecond!);
            if (labels.Length > 0) labelSpan[i] = requests[i].ClassIndex;
        }
        if (labels.Length > 0) batchLabels!.copy_(batchLabelsCpu!);

        ApplyThreads();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var result = EvaluateBatch(first.Steps);
        result.clamp_(minusOne, plusOne);
        var source = onCpu && result.is_contiguous() ? result : result.cpu().contiguous();
        MemoryMarshal.Cast<byte, float>(source.bytes).CopyTo(destination);
    }

    /// <summary>Generates one texture on a worker thread. Calls are served one at a time in arrival order (an
    /// awaiting caller waits its turn; cancelling while waiting or before the start ends the wait); a started
    /// texture runs to the end (a forward cannot be interrupted), then the token is checked again.
    /// Errors (bad request, libtorch failure) fault the task.</summary>
    /// <exception cref="OperationCanceledException">Through the task: <paramref name="cancellationToken"/> was cancelled.</exception>
    public Task GenerateAsync(TextureRequest request, Memory<float> destination, CancellationToken cancellationToken = default) =>
        RunAsync(() => Generate(request, destination.Span), cancellationToken);

    /// <summary>Generates one texture on a worker thread into a new array (planar [3, H, W] in [−1, 1]); see
    /// <see cref="GenerateAsync(TextureRequest, Memory{float}, CancellationToken)"/>.</summary>
    public async Task<float[]> GenerateAsync(TextureRequest request, CancellationToken cancellationToken = default)
    {
        var pixels = new float[request.PlanarLength];
        await GenerateAsync(request, pixels, cancellationToken).ConfigureAwait(false);
        return pixels;
    }

    /// <summary>Generates a batch (see <see cref="Generate(ReadOnlySpan{TextureRequest}, Span{float})"/>) on a worker
    /// thread; served in turn with the other asynchronous calls.</summary>
    public Task GenerateAsync(ReadOnlyMemory<TextureRequest> requests, Memory<float> destination, CancellationToken cancellationToken = default) =>
        RunAsync(() => Generate(requests.Span, destination.Span), cancellationToken);

    private async Task RunAsync(Action work, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        await asyncGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }
        finally
        {
            asyncGate.Release();
        }
    }

    // The single-texture body without the guard (the batch of one reuses it inside its own guard).
    private void GenerateUnguarded(in TextureRequest request, Span<float> destination)
    {
        PrepareNoise(request);
        using var scope = compiled is null ? NewDisposeScope() : null;
        using var noGrad = compiled is null ? no_grad() : null;
        CopyOut(Denoise(request.Steps, request.ClassIndex), destination);
    }

    private Tensor EvaluateBatch(int steps)
    {
        var label = labels.Length == 0 ? null : batchLabels;
        if (compiled is not null)
        {
            compiled.ForwardInto(batchOutput!, batchFirst!, atFirst[steps - 1]!, label);
            if (steps == 2)
            {
                SecondInput(batchOutput!, batchFirst, batchSecond);
                compiled.ForwardInto(batchOutput!, batchOutput!, atSecond!, label);
            }
            return batchOutput!;
        }
        var x = model.forward(batchFirst!, firstSigma[steps - 1], label);
        if (steps == 1) return x;
        SecondInput(x, batchFirst, batchSecond);
        return model.forward(x, secondSigma, label);
    }

    private void EnsureBatch(int n, int w, int h)
    {
        if (n == batchCount && w == batchWidth && h == batchHeight) return;
        FreeBatchBuffers();
        var shape = new long[] { n, 3, h, w };
        var type = ScalarType.Float32;
        batchFirst = empty(shape, type, Device);
        batchSecond = empty(shape, type, Device);
        batchOutput = empty(shape, type, Device);
        if (labels.Length > 0)
        {
            batchLabels = zeros([n], ScalarType.Int64, Device);
            batchLabelsCpu = zeros([n], ScalarType.Int64, CPU);
        }
        (batchCount, batchWidth, batchHeight) = (n, w, h);
    }

    private void FreeBatchBuffers()
    {
        batchFirst?.Dispose(); batchSecond?.Dispose(); batchOutput?.Dispose();
        batchLabels?.Dispose(); batchLabelsCpu?.Dispose();
        batchFirst = batchSecond = batchOutput = batchLabels = batchLabelsCpu = null;
        batchCount = batchWidth = batchHeight = 0;
    }

    // One thread at a time: the generator's noise, input and output tensors are shared by every call, so a second
    // thread inside would silently mix two textures. Fails loudly instead.
    private ExclusiveUse EnterExclusive(string what)
    {
        int me = Environment.CurrentManagedThreadId;
        int other = Interlocked.CompareExchange(ref busyThread, me, 0);
        if (other != 0)
            throw new InvalidOperationException(
                other == me
                    ? $"TextureGenerator.{what} was called again on thread {me} while that thread is already inside it (re-entrancy)."
                    : $"TextureGenerator.{what} was called on thread {me} while thread {other} is generating with the same generator: "
                      + "a generator shares its buffers between calls and serves one thread at a time. Give each thread (and each "
                      + "TextureProducer) its own generator, or await GenerateAsync, which takes turns.");
        InsideGenerateForTests?.Invoke();
        return new ExclusiveUse(this);
    }

    private readonly struct ExclusiveUse(TextureGenerator owner) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref owner.busyThread, 0);
    }
}
