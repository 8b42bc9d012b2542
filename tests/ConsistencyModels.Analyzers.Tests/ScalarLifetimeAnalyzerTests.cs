namespace ConsistencyModels.Analyzers.Tests;

/// <summary>The analyzer flags every unkept Scalar pattern and accepts the kept-alive forms.</summary>
public class ScalarLifetimeAnalyzerTests
{
    private static IReadOnlyList<string> InMethod(string statements) =>
        AnalyzerHarness.Analyze("static class C { static void M(Tensor t, Tensor u, double rate) { " + statements + " } }");

    [TestCase("t.mul_(rate);", "CM0001: rate")]
    [TestCase("var r = t.clamp(-1.0, 1.0);", "CM0001: -1.0", "CM0001: 1.0")]
    [TestCase("Scalar s = 2.0; t.mul_(s);", "CM0001: 2.0")]
    [TestCase("var r = t.mul((Scalar)2.0);", "CM0001: (Scalar)2.0")]
    public void FlagsImplicitConversions(string code, params string[] expected) =>
        Assert.That(InMethod(code), Is.EqualTo(expected));

    [TestCase("var r = t * 0.25;", "CM0002: t * 0.25")]
    [TestCase("var r = t + 1;", "CM0002: t + 1")]
    [TestCase("var r = 1 - t;", "CM0002: 1 - t")]
    [TestCase("var r = t + u;", "CM0002: t + u")]
    [TestCase("var r = t.add(u);", "CM0002: t.add(u)")]
    [TestCase("t.add_(u);", "CM0002: t.add_(u)")]
    [TestCase("t += u;", "CM0002: t += u")]
    [TestCase("float f = t.ToSingle();", "CM0002: t.ToSingle()")]
    [TestCase("using var s = rate.ToScalar(); var r = t.add(s);", "CM0002: t.add(s)")]
    public void FlagsTorchSharpMembersThatMakeScalarsInside(string code, params string[] expected) =>
        Assert.That(InMethod(code), Is.EqualTo(expected));

    [Test]
    public void FlagsTorchSharpOptimizersAndModuleForwards()
    {
        var found = AnalyzerHarness.Analyze("""
            static class C
            {
                static void M(TorchSharp.Modules.Adam adam, TorchSharp.Modules.LeakyReLU act, TorchSharp.Modules.Conv2d conv, Tensor x)
                {
                    adam.step();
                    var a = act.call(x);
                    var b = conv.call(x);
                }
            }
            """);
        Assert.That(found, Is.EqualTo(new[] { "CM0002: adam.step()", "CM0002: act.call(x)" }));
    }

    [TestCase("var r = t.mul(rate.ToScalar());", "CM0003: rate.ToScalar()")]
    [TestCase("var s = rate.ToScalar(); t.mul_(s);", "CM0003: rate.ToScalar()")]
    [TestCase("t.mul_(u.ToScalar());", "CM0003: u.ToScalar()")]
    [TestCase("var r = t.mul(rate > 0 ? rate.ToScalar() : 1.0.ToScalar());", "CM0003: rate.ToScalar()", "CM0003: 1.0.ToScalar()")]
    public void FlagsNewScalarsThatNothingHolds(string code, params string[] expected) =>
        Assert.That(InMethod(code), Is.EqualTo(expected));

    [Test]
    public void AcceptsKeptAliveScalarsAndSafeOverloads()
    {
        var found = AnalyzerHarness.Analyze("""
            static class C
            {
                private static readonly Scalar One = 1.0.ToScalar();
                private static Scalar Half { get; } = 0.5.ToScalar();
                private static Scalar? _cached;
                static Scalar Make(double v) => v.ToScalar();
                static Scalar MakeBlock(double v) { return v.ToScalar(); }
                static void M(Tensor t, Tensor u, double rate)
                {
                    _cached = rate.ToScalar();
                    using var r = rate.ToScalar();
                    using (var q = (1 - rate).ToScalar()) t.mul_(r).add_(u, alpha: q);
                    using var m = Make(rate);
                    using var n = rate > 0 ? rate.ToScalar() : Make(0);
                    var a = t.add(u, One);
                    var b = t.mul(Half).sub(u);
                    var c = t * u;
                    var d = t - u;
                    var e = nn.functional.silu(t);
                    t.addcmul_(u, u, value: r);
                }
            }
            """);
        Assert.That(found, Is.Empty);
    }

    [Test]
    public void ProjectsWithoutTorchSharpAreNotAnalyzed()
    {
        var found = AnalyzerHarness.Analyze("static class C { static double M(double x) => x * 0.25 + 1; }");
        Assert.That(found, Is.Empty);
    }
}
