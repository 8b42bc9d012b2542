using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace ConsistencyModels.Analyzers.Tests;

/// <summary>
/// Finds, from TorchSharp.dll's IL, every public member that creates a <c>TorchSharp.Scalar</c> it does not keep
/// alive: a method that calls a Scalar factory (an implicit conversion, <c>ToScalar</c>, <c>new Scalar</c>) without
/// returning it and without calling <c>Scalar.Dispose</c>, or that calls (directly, through a lambda, or through a
/// delegate it creates) another such method. Such a temporary is unreachable once its handle went to native code,
/// so a GC during the call can free it. The analyzer's list of known creators is this scan's output.
/// </summary>
public static class TorchSharpScalarScan
{
    private const string ScalarType = "TorchSharp.Scalar";

    /// <summary>The documentation IDs of the public members that create an unkept Scalar, sorted.</summary>
    public static ImmutableArray<string> Scan(string torchSharpPath)
    {
        using var stream = File.OpenRead(torchSharpPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var ids = new DocIdProvider(md);
        var methods = md.MethodDefinitions.ToArray();
        var index = methods.Select((h, i) => (h, i)).ToDictionary(x => x.h, x => x.i);
        var returnsScalar = new bool[methods.Length];
        var newsScalar = new bool[methods.Length];
        var disposesScalar = new bool[methods.Length];
        var callees = new List<int>[methods.Length];
        for (int i = 0; i < methods.Length; i++)
        {
            var def = md.GetMethodDefinition(methods[i]);
            returnsScalar[i] = def.DecodeSignature(ids, null).ReturnType == ScalarType;
            callees[i] = new List<int>();
            if (def.RelativeVirtualAddress == 0) continue;
            var il = pe.GetMethodBody(def.RelativeVirtualAddress).GetILReader();
            foreach (var (opcode, token) in CallTokens(il))
            {
                var target = Resolve(md, token);
                if (target is null) continue;
                var (handle, owner, name) = target.Value;
                if (owner == ScalarType && name == ".ctor" && opcode == ILOpCode.Newobj) newsScalar[i] = true;
                if (owner == ScalarType && name == "Dispose") disposesScalar[i] = true;
                if (handle is { } h && index.TryGetValue(h, out int j)) callees[i].Add(j);
            }
        }

        // A factory hands a new Scalar to its caller (ToScalar, op_Implicit, Tensor.ToScalar).
        var factory = Fixpoint(methods.Length, i => returnsScalar[i] && newsScalar[i],
            (i, marked) => returnsScalar[i] && callees[i].Any(j => marked[j]));
        // A creator makes one and drops it, or calls a creator.
        var creator = Fixpoint(methods.Length,
            i => !returnsScalar[i] && !disposesScalar[i] && callees[i].Any(j => factory[j]),
            (i, marked) => callees[i].Any(j => marked[j]));

        var result = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < methods.Length; i++)
            if (creator[i] && IsVisible(md, methods[i])) result.Add(ids.MethodId(methods[i]));
        return result.ToImmutableArray();
    }

    private static bool[] Fixpoint(int n, Func<int, bool> seed, Func<int, bool[], bool> step)
    {
        var marked = new bool[n];
        for (int i = 0; i < n; i++) marked[i] = seed(i);
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int i = 0; i < n; i++)
                if (!marked[i] && step(i, marked)) { marked[i] = true; changed = true; }
        }
        return marked;
    }

    private static bool IsVisible(MetadataReader md, MethodDefinitionHandle handle)
    {
        var def = md.GetMethodDefinition(handle);
        var access = def.Attributes & MethodAttributes.MemberAccessMask;
        if (access is not (MethodAttributes.Public or MethodAttributes.Family or MethodAttributes.FamORAssem)) return false;
        for (var t = def.GetDeclaringType(); !t.IsNil;)
        {
            var type = md.GetTypeDefinition(t);
            var vis = type.Attributes & TypeAttributes.VisibilityMask;
            if (vis is not (TypeAttributes.Public or TypeAttributes.NestedPublic or TypeAttributes.NestedFamily or TypeAttributes.NestedFamORAssem))
                return false;
            t = type.GetDeclaringType();
        }
        return true;
    }

    private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    private static IEnumerable<(ILOpCode, int)> CallTokens(BlobReader il)
    {
        var found = new List<(ILOpCode, int)>();
        while (il.RemainingBytes > 0)
        {
            short value = il.ReadByte();
            if (value == 0xFE) value = unchecked((short)(0xFE00 | il.ReadByte()));
            var op = (ILOpCode)(ushort)value;
            if (!Operands.TryGetValue(value, out var operand))
                throw new InvalidDataException($"unknown IL opcode 0x{(ushort)value:X} at offset {il.Offset - 1}");
            switch (operand)
            {
                case OperandType.InlineMethod:
                    found.Add((op, il.ReadInt32()));
                    break;
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: il.Offset += 1; break;
                case OperandType.InlineVar: il.Offset += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR: il.Offset += 8; break;
                case OperandType.InlineSwitch: { int n = il.ReadInt32(); il.Offset += 4 * n; break; }
                default: il.Offset += 4; break;
            }
        }
        return found;
    }

    /// <summary>The method a call token names: its definition in this assembly (if any), its type and name.</summary>
    private static (MethodDefinitionHandle? Handle, string Owner, string Name)? Resolve(MetadataReader md, int token)
    {
        var handle = MetadataTokens.EntityHandle(token);
        if (handle.Kind == HandleKind.MethodSpecification)
            handle = md.GetMethodSpecification((MethodSpecificationHandle)handle).Method;
        if (handle.Kind == HandleKind.MethodDefinition)
        {
            var def = md.GetMethodDefinition((MethodDefinitionHandle)handle);
            return ((MethodDefinitionHandle)handle, DocIdProvider.TypeName(md, def.GetDeclaringType()), md.GetString(def.Name));
        }
        if (handle.Kind != HandleKind.MemberReference) return null;
        var member = md.GetMemberReference((MemberReferenceHandle)handle);
        string name = md.GetString(member.Name);
        TypeDefinitionHandle? owner = member.Parent.Kind switch
        {
            HandleKind.TypeDefinition => (TypeDefinitionHandle)member.Parent,
            HandleKind.TypeSpecification => GenericDefinition(md, (TypeSpecificationHandle)member.Parent),
            _ => null,
        };
        if (owner is null) return (null, "", name);
        var signature = md.GetBlobBytes(member.Signature);
        var methods = md.GetTypeDefinition(owner.Value).GetMethods()
            .Where(m => md.GetString(md.GetMethodDefinition(m).Name) == name).ToList();
        var exact = methods.Where(m => md.GetBlobBytes(md.GetMethodDefinition(m).Signature).AsSpan().SequenceEqual(signature)).ToList();
        var pick = exact.Count > 0 ? exact : methods;
        return (pick.Count > 0 ? pick[0] : null, DocIdProvider.TypeName(md, owner.Value), name);
    }

    private static TypeDefinitionHandle? GenericDefinition(MetadataReader md, TypeSpecificationHandle spec)
    {
        var blob = md.GetBlobReader(md.GetTypeSpecification(spec).Signature);
        if (blob.ReadSignatureTypeCode() != SignatureTypeCode.GenericTypeInstance) return null;
        blob.ReadSignatureTypeCode(); // class or valuetype
        var type = blob.ReadTypeHandle();
        return type.Kind == HandleKind.TypeDefinition ? (TypeDefinitionHandle)type : null;
    }
}
