using ConsistencyModels.Diffusion;
using ConsistencyModels.Oracles;
using ConsistencyModels.Platform;
using ConsistencyModels.Tests.Oracles;
using static TorchSharp.torch;

namespace ConsistencyModels.Tests.Diffusion;

/// <summary>The diffusion forms: hand values, inverses, derivatives, and one shared PF-ODE.</summary>
public class DiffusionFormTests
{
    private static IEnumerable<IDiffusionForm> Forms() => new IDiffusionForm[] { new VeForm(), new VpForm(), new SubVpForm(), new FlowMatchingForm() };

    [Test]
    public void HandValues()
    {
        Assert.That(new VeForm().EdmSigma(3.0), Is.EqualTo(3.0));
        // Flow: t = ½ → α = ½, σ_t = ½, σ = 1.
        Assert.That(new FlowMatchingForm().EdmSigma(0.5), Is.EqualTo(1.0));
        // EDM VP at t = 1: ½·19.9 + 0.1 = 10.05, σ = √(e^{10.05} − 1) = √23154.7 = 152.167 (EDM's "σ_max ≈ 152").
        Assert.That(new VpForm().EdmSigma(1.0), Is.EqualTo(152.16697).Within(1e-4));
        // VP at t = 0.1: g = ½·19.9·0.01 + 0.01 = 0.1095; ᾱ = e^{−0.1095} = 0.896282, α = 0.946722, σ_t = √0.103718 = 0.322053.
        var vp = new VpForm();
        Assert.That(vp.Alpha(0.1), Is.EqualTo(0.946722).Within(1e-6));
        Assert.That(vp.SigmaT(0.1), Is.EqualTo(0.322053).Within(1e-6));
        // Sub-VP at t = 0.1: σ_t = 1 − ᾱ = 0.103718, σ = 0.103718/0.946722 = 0.109555.
        Assert.That(new SubVpForm().SigmaT(0.1), Is.EqualTo(0.103718).Within(1e-6));
        Assert.That(new SubVpForm().EdmSigma(0.1), Is.EqualTo(0.109555).Within(1e-6));
    }

    [TestCaseSource(nameof(Forms))]
    public void TimeForEdmSigmaRoundTrips(IDiffusionForm form)
    {
        foreach (double sigma in new[] { 1e-6, 0.002, 0.1, 1.0, 10.0, 80.0 })
        {
            double t = form.TimeForEdmSigma(sigma);
            Assert.That(t, Is.InRange(form.TimeMin, form.TimeMax));
            Assert.That(form.EdmSigma(t), Is.EqualTo(sigma).Within(1e-12 * sigma), $"{form.Name} σ = {sigma}");
            Assert.That(form.SigmaT(t) / form.Alpha(t), Is.EqualTo(sigma).Within(1e-12 * sigma), $"{form.Name} σ_t/α at σ = {sigma}");
        }
        Assert.That(form.TimeForEdmSigma(0.0), Is.EqualTo(0.0));
    }

    [TestCaseSource(nameof(Forms))]
    public void DerivativesMatchCentralDifferences(IDiffusionForm form)
    {
        foreach (double t in new[] { 0.05, 0.3, 0.7 })
        {
            const double h = 1e-6;
            double da = (form.Alpha(t + h) - form.Alpha(t - h)) / (2 * h);
            double ds = (form.SigmaT(t + h) - form.SigmaT(t - h)) / (2 * h);
            Assert.That(form.AlphaDerivative(t), Is.EqualTo(da).Within(1e-7 * (1 + Math.Abs(da))), $"{form.Name} α' at {t}");
            Assert.That(form.SigmaTDerivative(t), Is.EqualTo(ds).Within(1e-7 * (1 + Math.Abs(ds))), $"{form.Name} σ_t' at {t}");
        }
    }

    [Test]
    public void BadTimesThrow()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new VpForm().Alpha(1.5));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new FlowMatchingForm().EdmSigma(1.0));
        Assert.That(ex!.Message, Does.Contain("[0, 1)"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VeForm().TimeForEdmSigma(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new VpForm().TimeForEdmSigma(1000));
    }

    [Test]
    public void VelocityAndPredictionMatchHandValues()
    {
        // Flow matching: α' = −1, σ_t' = 1, so v = ε − x₀ (the rectified-flow target).
        var flow = new FlowMatchingForm();
        using var x0 = tensor(new[] { 0.5, -1.0 }, ScalarType.Float64);
        using var eps = tensor(new[] { 2.0, 0.25 }, ScalarType.Float64);
        using var v = EdmMapping.Velocity(flow, 0.3, x0, eps);
        Assert.That(v.data<double>().ToArray(), Is.EqualTo(new[] { 1.5, 1.25 }));
        // With a denoiser that knows x₀, Predict recovers x₀ and ε from x_t = α·x₀ + σ_t·ε (t = 0.3: α = 0.7, σ_t = 0.3).
        using var xt = x0.Times(0.7).Plus(eps.Times(0.3)).view(1, 2);
        var (p0, pe) = EdmMapping.Predict(flow, (x, s) => x0.view(1, 2).clone(), xt, 0.3);
        using (p0) using (pe)
            Assert.That(pe.allclose(eps.view(1, 2), rtol: 1e-14, atol: 1e-14), Is.True);
    }

    [Test]
    public void EdmMappingRoundTrips()
    {
        var form = new VpForm();
        double t = 0.4;
        using var xt = tensor(new[] { 0.3, -1.2, 2.0 }, ScalarType.Float64);
        using var x = EdmMapping.ToEdm(form, xt, t);
        Assert.That(x[1].item<double>(), Is.EqualTo(-1.2 / form.Alpha(t)).Within(1e-15));
        using var back = EdmMapping.FromEdm(form, x, t);
        Assert.That(back.allclose(xt, rtol: 1e-14, atol: 0), Is.True);
        Assert.That(EdmMapping.Time(form, EdmMapping.Sigma(form, t)), Is.EqualTo(t).Within(1e-14));
    }

    /// <summary>
    /// Integrates the PF-ODE in each form's own time t with the velocity dx_t/dt = α'·x̂₀ + σ_t'·ε̂
    /// (x̂₀ = D(x_t/α; σ_t/α), ε̂ = (x_t − α·x̂₀)/σ_t) by fine RK4, maps the end to EDM (x_t/α) and compares with
    /// the EDM-form reference between the corresponding σ's: every form must trace the same trajectory.
    /// </summary>
    [TestCaseSource(nameof(Forms))]
    public void EveryFormGivesTheSameOdeSolution(IDiffusionForm form)
    {
        var gmm = TestMixtures.TwoD();
        const double sigma0 = 5.0, sigma1 = 0.05;
        var gen = new Generator(11);
        using var x0 = randn(new long[] { 16, 2 }, ScalarType.Float64, generator: gen).Times(sigma0);
        using var reference = ExactOdeSolution.Solve(gmm.AsDenoiser(), x0, sigma0, sigma1);

        double t0 = form.TimeForEdmSigma(sigma0), t1 = form.TimeForEdmSigma(sigma1);
        Tensor Velocity(Tensor xt, double t)
        {
            var (x0hat, eps) = EdmMapping.Predict(form, gmm.AsDenoiser(), xt, t);
            using (x0hat) using (eps) return EdmMapping.Velocity(form, t, x0hat, eps);
        }
        // RK4 in the form's own time, uniform in ln σ_EDM mapped back to t so every form gets the same resolution.
        const int steps = 600;
        var xt = EdmMapping.FromEdm(form, x0, t0);
        double u0 = Math.Log(sigma0), u1 = Math.Log(sigma1);
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            double ta = form.TimeForEdmSigma(Math.Exp(u0 + (u1 - u0) * i / steps));
            double tb = form.TimeForEdmSigma(Math.Exp(u0 + (u1 - u0) * (i + 1) / steps));
            double h = tb - ta, tm = ta + 0.5 * h;
            var k1 = Velocity(xt, ta);
            var k2 = Velocity(xt.Plus(k1.Times(0.5 * h)), tm);
            var k3 = Velocity(xt.Plus(k2.Times(0.5 * h)), tm);
            var k4 = Velocity(xt.Plus(k3.Times(h)), tb);
            var next = xt.Plus(k1.Plus(k2.Times(2)).Plus(k3.Times(2)).Plus(k4).Times(h / 6)).MoveToOuterDisposeScope();
            xt.Dispose();
            xt = next;
        }
        using var xEdm = EdmMapping.ToEdm(form, xt, t1);
        xt.Dispose();
        double err = (xEdm - reference.X).abs().max().item<double>();
        TestContext.Out.WriteLine($"{form.Name}: t {t0:G6} → {t1:G6}, max |x_form − x_edm| = {err:E2} (reference estimate {reference.ErrorEstimate:E1})");
        Assert.That(err, Is.LessThan(1e-9));
    }
}
