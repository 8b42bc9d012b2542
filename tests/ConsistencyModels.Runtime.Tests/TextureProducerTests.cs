namespace ConsistencyModels.Runtime.Tests;

public class TextureProducerTests
{
    private static TextureFrame WaitForFrame(TripleBuffer<TextureFrame> frames, Func<TextureFrame, bool> accept)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (frames.TryAcquire(out var frame) && accept(frame)) return frame;
            Thread.Sleep(1);
        }
        Assert.Fail("no matching frame within 10 s");
        return null!;
    }

    [Test]
    public void PublishesTheSourcesTextureAndFollowsRequestChanges()
    {
        using var source = new ProceduralTextureSource();
        using var oracle = new ProceduralTextureSource();
        var first = new TextureRequest(16, 8, 0, 1, 5, 0);
        using var producer = new TextureProducer(source, first);

        var frame = WaitForFrame(producer.Frames, f => f.Sequence > 0);
        var expected = new float[first.PlanarLength];
        oracle.Generate(first, expected);
        Assert.That(frame.Request, Is.EqualTo(first));
        Assert.That(frame.Pixels.ToArray(), Is.EqualTo(expected).AsCollection);

        var second = first with { Width = 8, Height = 12, Seed = 6 };
        producer.Request = second;
        frame = WaitForFrame(producer.Frames, f => f.Request == second);
        expected = new float[second.PlanarLength];
        oracle.Generate(second, expected);
        Assert.That((frame.Width, frame.Height), Is.EqualTo((8, 12)));
        Assert.That(frame.Pixels.ToArray(), Is.EqualTo(expected).AsCollection);
        Assert.That(producer.Error, Is.Null);
    }

    [Test]
    public void InvalidRequestIsRejectedOnTheCallersThread()
    {
        using var source = new ProceduralTextureSource();
        using var producer = new TextureProducer(source, new TextureRequest(4, 4, 0, 1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => producer.Request = new TextureRequest(4, 4, 0, 5, 0, 0));
    }
}
