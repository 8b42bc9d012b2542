using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace ConsistencyModels.Analyzers;

/// <summary>
/// Reports every place where a finalizable <c>TorchSharp.Scalar</c> may be freed while libtorch reads it.
/// TorchSharp passes a Scalar to native code by raw handle; once the handle is read nothing references the
/// wrapper, so a GC during the call can run its finalizer, which deletes the native scalar (libtorch then fails
/// in <c>c10::Scalar::toFloat</c>). A Scalar is safe when something holds it across the call: a <c>using</c>
/// variable (disposed after the call), or a field. The rules:
/// CM0001 an implicit (or cast) number → Scalar conversion, a temporary by construction;
/// CM0002 a TorchSharp member that makes such a temporary inside (found in TorchSharp.dll's IL);
/// CM0003 a new Scalar that is neither put in a <c>using</c> variable, a field or property, nor returned.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ScalarLifetimeAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The full name of TorchSharp's scalar wrapper.</summary>
    public const string ScalarTypeName = "TorchSharp.Scalar";

    private const string Category = "Reliability";
    private const string Why = "a GC during the native call can finalize it while libtorch reads it";

    /// <summary>CM0001: implicit or cast conversion of a number to TorchSharp.Scalar.</summary>
    public static readonly DiagnosticDescriptor ImplicitScalar = new(
        "CM0001", "Temporary TorchSharp Scalar",
        "Conversion of '{0}' to TorchSharp.Scalar makes a temporary that nothing keeps alive (" + Why + "); use a kept-alive Scalar: 'using var s = x.ToScalar();' or a cached static one",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>CM0002: a TorchSharp member that creates an unkept Scalar inside.</summary>
    public static readonly DiagnosticDescriptor ScalarCreatingMember = new(
        "CM0002", "TorchSharp member creates a temporary Scalar",
        "'{0}' creates a TorchSharp.Scalar inside that nothing keeps alive (" + Why + "); call an overload that takes the Scalar (kept alive by the caller) or a tensor operand",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>CM0003: a new Scalar that nothing holds across the call it is passed to.</summary>
    public static readonly DiagnosticDescriptor UnkeptScalar = new(
        "CM0003", "New TorchSharp Scalar is not kept alive",
        "The Scalar from '{0}' is not kept alive (" + Why + "); put it in a 'using' variable or a field, or return it",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly Lazy<ImmutableHashSet<string>> BuiltInCreators = new(() => LoadCreators());

    private readonly ImmutableHashSet<string> _creators;

    /// <summary>Uses the list generated from TorchSharp 0.107.0 (embedded resource TorchSharpScalarCreators.txt).</summary>
    public ScalarLifetimeAnalyzer() : this(BuiltInCreators.Value) { }

    /// <summary>Uses the given documentation IDs as the TorchSharp members that create unkept Scalars (for tests).</summary>
    public ScalarLifetimeAnalyzer(ImmutableHashSet<string> creators) => _creators = creators;

    /// <summary>The documentation IDs of the embedded list.</summary>
    public static ImmutableHashSet<string> LoadCreators()
    {
        using var stream = typeof(ScalarLifetimeAnalyzer).Assembly.GetManifestResourceStream("TorchSharpScalarCreators.txt")
            ?? throw new InvalidOperationException("TorchSharpScalarCreators.txt is not embedded in the analyzer.");
        using var reader = new StreamReader(stream);
        var ids = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        for (string? line; (line = reader.ReadLine()) is not null;)
        {
            line = line.Trim();
            if (line.Length > 0 && !line.StartsWith("#", StringComparison.Ordinal)) ids.Add(line);
        }
        return ids.ToImmutable();
    }

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics =>
        ImmutableArray.Create(ImplicitScalar, ScalarCreatingMember, UnkeptScalar);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var scalar = start.Compilation.GetTypeByMetadataName(ScalarTypeName);
            if (scalar is null) return; // no TorchSharp here
            start.RegisterOperationAction(c => OnConversion(c, scalar), OperationKind.Conversion);
            start.RegisterOperationAction(c => OnInvocation(c, scalar), OperationKind.Invocation);
            start.RegisterOperationAction(c => OnMember(c), OperationKind.BinaryOperator, OperationKind.UnaryOperator,
                OperationKind.CompoundAssignment, OperationKind.Increment, OperationKind.Decrement, OperationKind.ObjectCreation,
                OperationKind.PropertyReference, OperationKind.MethodReference);
        });
    }

    private static void OnConversion(OperationAnalysisContext context, INamedTypeSymbol scalar)
    {
        var conversion = (IConversionOperation)context.Operation;
        var method = conversion.OperatorMethod;
        if (method is null || !SymbolEqualityComparer.Default.Equals(method.ContainingType, scalar)) return;
        string from = conversion.Operand.Type?.ToDisplayString() ?? "value";
        context.ReportDiagnostic(Diagnostic.Create(ImplicitScalar, conversion.Syntax.GetLocation(), from));
    }

    private void OnInvocation(OperationAnalysisContext context, INamedTypeSymbol scalar)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        ReportIfCreator(context, method, invocation.Syntax);
        if (invocation.Instance?.Type is INamedTypeSymbol receiver && (method.IsVirtual || method.IsAbstract || method.IsOverride || method.Name == "call"))
        {
            var dispatched = DispatchTarget(receiver, method);
            if (dispatched is not null && !SymbolEqualityComparer.Default.Equals(dispatched.OriginalDefinition, method.OriginalDefinition))
                ReportIfCreator(context, dispatched, invocation.Syntax);
        }
        if (SymbolEqualityComparer.Default.Equals(method.ReturnType, scalar) && !IsKept(invocation))
            context.ReportDiagnostic(Diagnostic.Create(UnkeptScalar, invocation.Syntax.GetLocation(), method.ToDisplayString()));
    }

    private void OnMember(OperationAnalysisContext context)
    {
        var operation = context.Operation;
        switch (operation)
        {
            case IBinaryOperation { OperatorMethod: { } m }: ReportIfCreator(context, m, operation.Syntax); break;
            case IUnaryOperation { OperatorMethod: { } m }: ReportIfCreator(context, m, operation.Syntax); break;
            case ICompoundAssignmentOperation { OperatorMethod: { } m }: ReportIfCreator(context, m, operation.Syntax); break;
            case IIncrementOrDecrementOperation { OperatorMethod: { } m }: ReportIfCreator(context, m, operation.Syntax); break;
            case IObjectCreationOperation { Constructor: { } m }: ReportIfCreator(context, m, operation.Syntax); break;
            case IMethodReferenceOperation r: ReportIfCreator(context, r.Method, operation.Syntax); break;
            case IPropertyReferenceOperation p:
                if (p.Property.GetMethod is { } get) ReportIfCreator(context, get, operation.Syntax);
                if (p.Property.SetMethod is { } set) ReportIfCreator(context, set, operation.Syntax);
                break;
        }
    }

    private void ReportIfCreator(OperationAnalysisContext context, IMethodSymbol method, SyntaxNode syntax)
    {
        if (!IsTorchSharp(method)) return;
        string? id = DocumentationId(method);
        if (id is not null && _creators.Contains(id))
            context.ReportDiagnostic(Diagnostic.Create(ScalarCreatingMember, syntax.GetLocation(), method.ToDisplayString()));
    }

    /// <summary>The documentation ID of a member's declaration (extension methods as declared, generics unbound).</summary>
    public static string? DocumentationId(IMethodSymbol method) =>
        (method.ReducedFrom ?? method).OriginalDefinition.GetDocumentationCommentId();

    private static bool IsTorchSharp(IMethodSymbol method) => method.ContainingAssembly?.Name == "TorchSharp";

    /// <summary>
    /// The TorchSharp method a virtual call on a receiver of a TorchSharp type runs: the receiver type's nearest
    /// override (for <c>Module.call</c>, the module's <c>forward</c>, which <c>call</c> runs). Null when the
    /// receiver is not a TorchSharp type (our own overrides are analyzed in our source).
    /// </summary>
    private static IMethodSymbol? DispatchTarget(INamedTypeSymbol receiver, IMethodSymbol method)
    {
        if (receiver.ContainingAssembly?.Name != "TorchSharp") return null;
        string name = method.Name == "call" ? "forward" : method.Name;
        for (var type = receiver; type is not null; type = type.BaseType)
        {
            var match = type.GetMembers(name).OfType<IMethodSymbol>()
                .FirstOrDefault(m => m.Parameters.Length == method.Parameters.Length && !m.IsStatic);
            if (match is not null) return match;
        }
        return null;
    }

    /// <summary>
    /// Whether a new Scalar is held by something that outlives the calls it is passed to: a <c>using</c>
    /// variable or resource, a field or property, or the caller (returned).
    /// </summary>
    private static bool IsKept(IOperation created)
    {
        var node = created;
        var parent = node.Parent;
        // Through reference conversions and the branches of ?: and ??, to what receives the value.
        while (parent is IConversionOperation { OperatorMethod: null }
               || parent is IConditionalOperation c && (c.WhenTrue == node || c.WhenFalse == node)
               || parent is ICoalesceOperation)
        {
            node = parent;
            parent = node.Parent;
        }
        switch (parent)
        {
            case IReturnOperation:
            case IFieldInitializerOperation:
            case IPropertyInitializerOperation:
                return true;
            case IUsingOperation:
                return true;
            case ISimpleAssignmentOperation assignment when assignment.Value == node:
                return assignment.Target is IFieldReferenceOperation or IPropertyReferenceOperation;
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation { Parent: IVariableDeclarationOperation declaration } }:
                return declaration.Parent is IVariableDeclarationGroupOperation { Parent: IUsingDeclarationOperation or IUsingOperation }
                    || declaration.Parent is IUsingOperation;
            default:
                return false;
        }
    }
}
