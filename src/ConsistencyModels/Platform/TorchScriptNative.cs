using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;

namespace ConsistencyModels.Platform;

/// <summary>
/// Direct calls into LibTorchSharp's TorchScript entry points (the native half of TorchSharp 0.107), for a call per
/// frame that allocates no managed memory. TorchSharp's own <c>jit.CompilationUnit.invoke</c> boxes its arguments,
/// marshals the function name, builds an indexed argument array and wraps the result (≈ 360 B per call), and its
/// <c>Dispose</c> never frees the native unit. Here the caller owns a native argument array it fills with tensor
/// handles, the name is a preallocated UTF-8 string, the result buffer lives on the stack and the unit is freed.
/// The library is resolved exactly the way TorchSharp resolves it (<see cref="NativeLibrary.TryLoad(string, System.Reflection.Assembly, DllImportSearchPath?, out IntPtr)"/>
/// against TorchSharp's assembly), so the same already-loaded copy is used.
/// </summary>
internal static unsafe class TorchScriptNative
{
    /// <summary>
    /// LibTorchSharp's argument and result cell (THSJIT.h): a type code (0 tensor, 5 list of tensors, 8 None, …), an
    /// array length or index, and a handle (a <c>torch::Tensor*</c>, or a pointer to a nested cell array).
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Cell
    {
        public long TypeCode;
        public long ArrayIndex;
        public IntPtr Handle;
    }

    /// <summary>Cell type code of one tensor.</summary>
    public const long TensorCode = 0;

    /// <summary>Cell type code of a list of tensors (ArrayIndex = length, Handle = the list's cells).</summary>
    public const long TensorListCode = 5;

    private const int ResultCapacity = 4;
    private const sbyte NoneResult = 8; // LibTorchSharp's result type code of None

    private static readonly delegate* unmanaged<byte*, IntPtr> Compile;
    private static readonly delegate* unmanaged<IntPtr, void> DisposeUnit;
    private static readonly delegate* unmanaged<IntPtr, byte*, Cell*, int, delegate* unmanaged<int, nuint, Cell*>, sbyte*, int, void> Invoke;

    // The result cells of the call in progress on this thread (stack memory of Call's frame).
    [ThreadStatic] private static Cell* results;

    static TorchScriptNative()
    {
        // Loading TorchSharp's native backend first (any tensor does it) makes the name resolve to the loaded copy.
        using (torch.zeros(1)) { }
        if (!NativeLibrary.TryLoad("LibTorchSharp", typeof(torch).Assembly, null, out var library))
            throw new DllNotFoundException("LibTorchSharp (TorchSharp's native library) could not be resolved.");
        Compile = (delegate* unmanaged<byte*, IntPtr>)NativeLibrary.GetExport(library, "THSJIT_compile");
        DisposeUnit = (delegate* unmanaged<IntPtr, void>)NativeLibrary.GetExport(library, "THSJIT_CompilationUnit_dispose");
        Invoke = (delegate* unmanaged<IntPtr, byte*, Cell*, int, delegate* unmanaged<int, nuint, Cell*>, sbyte*, int, void>)
            NativeLibrary.GetExport(library, "THSJIT_CompilationUnit_Invoke");
    }

    /// <summary>Compiles TorchScript <paramref name="source"/> into a native compilation unit, owned by the returned handle.</summary>
    /// <exception cref="System.Runtime.InteropServices.ExternalException">libtorch rejected the source (its message).</exception>
    public static CompilationUnitHandle CompileUnit(string source)
    {
        var bytes = NullTerminated(source);
        var handle = new CompilationUnitHandle();
        IntPtr unit;
        fixed (byte* text = bytes) unit = Compile(text);
        if (unit == IntPtr.Zero)
        {
            handle.Dispose();
            torch.CheckForErrors();
            throw new InvalidOperationException("THSJIT_compile returned no unit and no error.");
        }
        handle.Own(unit);
        return handle;
    }

    /// <summary>A native TorchScript compilation unit: freed exactly once, by <c>Dispose</c> or, if forgotten, by the
    /// runtime's critical finalization (the .NET way to own a native handle, instead of a raw pointer and a finalizer).</summary>
    internal sealed class CompilationUnitHandle : SafeHandle
    {
        public CompilationUnitHandle() : base(IntPtr.Zero, ownsHandle: true) { }

        public override bool IsInvalid => handle == IntPtr.Zero;

        public void Own(IntPtr unit) => SetHandle(unit);

        protected override bool ReleaseHandle()
        {
            DisposeUnit(handle);
            return true;
        }
    }

    /// <summary>Zeroed native memory for argument cells, freed with the handle.</summary>
    internal sealed class CellsHandle : SafeHandle
    {
        public CellsHandle(int count) : base(IntPtr.Zero, ownsHandle: true) =>
            SetHandle((IntPtr)NativeMemory.AllocZeroed((nuint)count, (nuint)sizeof(Cell)));

        public override bool IsInvalid => handle == IntPtr.Zero;

        /// <summary>The cells (valid while the handle is alive).</summary>
        public Cell* Cells => (Cell*)handle;

        protected override bool ReleaseHandle()
        {
            NativeMemory.Free((void*)handle);
            return true;
        }
    }

    /// <summary>The UTF-8 bytes of <paramref name="text"/> followed by a zero byte.</summary>
    public static byte[] NullTerminated(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    /// <summary>
    /// Calls function <paramref name="name"/> (null-terminated UTF-8) of <paramref name="unit"/>, which must return
    /// None (results are written into tensors passed as arguments), with <paramref name="count"/> argument cells.
    /// Allocates no managed memory.
    /// </summary>
    /// <exception cref="System.Runtime.InteropServices.ExternalException">The function failed (libtorch's message).</exception>
    /// <exception cref="InvalidOperationException">The function returned something other than None.</exception>
    public static void Call(CompilationUnitHandle unit, byte* name, Cell* arguments, int count)
    {
        bool added = false;
        unit.DangerousAddRef(ref added); // the unit cannot be released during the call
        try
        {
            Call(unit.DangerousGetHandle(), name, arguments, count);
        }
        finally
        {
            if (added) unit.DangerousRelease();
        }
    }

    private static void Call(IntPtr unit, byte* name, Cell* arguments, int count)
    {
        Cell* cells = stackalloc Cell[ResultCapacity];
        var previous = results;
        results = cells;
        sbyte typeCode = 0;
        try
        {
            Invoke(unit, name, arguments, count, &AllocateResult, &typeCode, 0);
        }
        finally
        {
            results = previous;
        }
        torch.CheckForErrors();
        if (typeCode != NoneResult)
            throw new InvalidOperationException($"the TorchScript function returned type code {typeCode}, not None");
    }

    // LibTorchSharp asks for the cells of each returned value (one for None or a tensor); more than the stack buffer
    // holds (lists, tuples) is refused, which LibTorchSharp reports as an error.
    [UnmanagedCallersOnly]
    private static Cell* AllocateResult(int index, nuint length) =>
        index == 0 && length <= ResultCapacity ? results : null;
}
