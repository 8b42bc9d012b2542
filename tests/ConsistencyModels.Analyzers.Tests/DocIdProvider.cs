using System.Collections.Immutable;
using System.Reflection.Metadata;

namespace ConsistencyModels.Analyzers.Tests;

/// <summary>
/// Writes metadata signatures as C# documentation-comment IDs (<c>M:TorchSharp.torch.Tensor.add(TorchSharp.torch.Tensor)</c>),
/// the form Roslyn's <c>ISymbol.GetDocumentationCommentId</c> gives, so the IL scan and the analyzer name members alike.
/// </summary>
internal sealed class DocIdProvider(MetadataReader md) : ISignatureTypeProvider<string, object?>
{
    /// <summary>The declaration ID of a method.</summary>
    public string MethodId(MethodDefinitionHandle handle)
    {
        var def = md.GetMethodDefinition(handle);
        var sig = def.DecodeSignature(this, null);
        string name = md.GetString(def.Name).Replace('.', '#');
        int arity = def.GetGenericParameters().Count;
        string id = "M:" + TypeName(md, def.GetDeclaringType()) + "." + name + (arity > 0 ? "``" + arity : "");
        if (sig.ParameterTypes.Length > 0) id += "(" + string.Join(",", sig.ParameterTypes) + ")";
        if (name is "op_Implicit" or "op_Explicit") id += "~" + sig.ReturnType;
        return id;
    }

    /// <summary>A type definition's name in declaration form (generic arity kept as `N).</summary>
    public static string TypeName(MetadataReader md, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        var outer = type.GetDeclaringType();
        string name = md.GetString(type.Name);
        if (!outer.IsNil) return TypeName(md, outer) + "." + name;
        string ns = md.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    private static string TypeRefName(MetadataReader md, TypeReferenceHandle handle)
    {
        var type = md.GetTypeReference(handle);
        string name = md.GetString(type.Name);
        if (type.ResolutionScope.Kind == HandleKind.TypeReference)
            return TypeRefName(md, (TypeReferenceHandle)type.ResolutionScope) + "." + name;
        string ns = md.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    public string GetPrimitiveType(PrimitiveTypeCode typeCode) => "System." + typeCode switch
    {
        PrimitiveTypeCode.IntPtr => "IntPtr",
        PrimitiveTypeCode.UIntPtr => "UIntPtr",
        _ => typeCode.ToString(),
    };

    public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => StripArity(TypeName(reader, handle));

    public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => StripArity(TypeRefName(reader, handle));

    public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
        reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

    public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments)
    {
        // genericType is "A.B" with arities stripped; the arguments go to the levels that declared them.
        // TorchSharp's signatures only instantiate the innermost level, which is what this writes.
        return genericType + "{" + string.Join(",", typeArguments) + "}";
    }

    public string GetArrayType(string elementType, ArrayShape shape) =>
        elementType + "[" + string.Join(",", Enumerable.Repeat("0:", shape.Rank)) + "]";

    public string GetSZArrayType(string elementType) => elementType + "[]";
    public string GetByReferenceType(string elementType) => elementType + "@";
    public string GetPointerType(string elementType) => elementType + "*";
    public string GetPinnedType(string elementType) => elementType;
    public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
    public string GetGenericMethodParameter(object? genericContext, int index) => "``" + index;
    public string GetGenericTypeParameter(object? genericContext, int index) => "`" + index;
    public string GetFunctionPointerType(MethodSignature<string> signature) => "=FUNC:" + signature.ReturnType;

    private static string StripArity(string name)
    {
        var parts = name.Split('.');
        for (int i = 0; i < parts.Length; i++)
        {
            int tick = parts[i].IndexOf('`');
            if (tick >= 0) parts[i] = parts[i][..tick];
        }
        return string.Join(".", parts);
    }
}
