namespace ConsistencyModels.Runtime.Tests;

public class TripleBufferTests
{
    private sealed class Slot
    {
        public long Value;
        public readonly long[] Payload = new long[64];
    }

    [Test]
    public void AcquireWithNothingPublishedReturnsFalseAndCountsLate()
    {
        var buffer = new TripleBuffer<Slot>(() => new Slot());
        var front = buffer.Front;

        Assert.That(buffer.TryAcquire(out var frame), Is.False);
        Assert.That(frame, Is.SameAs(front));
        Assert.That(buffer.Late, Is.EqualTo(1));
        Assert.That(buffer.Acquired, Is.EqualTo(0));
    }

    [Test]
    public void NewestPublishedFrameWinsAndOlderOnesCountAsDropped()
    {
        var buffer = new TripleBuffer<Slot>(() => new Slot());
        for (var i = 1; i <= 5; i++)
        {
            buffer.Back.Value = i;
            buffer.Publish();
        }

        Assert.That(buffer.TryAcquire(out var frame), Is.True);
        Assert.That(frame.Value, Is.EqualTo(5));
        Assert.That(buffer.Published, Is.EqualTo(5));
        Assert.That(buffer.Dropped, Is.EqualTo(4), "frames 1-4 were replaced before being taken");
        Assert.That(buffer.TryAcquire(out var again), Is.False, "nothing new since");
        Assert.That(again.Value, Is.EqualTo(5), "the front slot keeps the last frame");
        Assert.That(buffer.Late, Is.EqualTo(1));
    }

    [Test]
    public void ProducerNeverGetsTheSlotTheConsumerHolds()
    {
        var buffer = new TripleBuffer<Slot>(() => new Slot());
        buffer.Back.Value = 1;
        buffer.Publish();
        buffer.TryAcquire(out var shown);
        for (var i = 2; i < 10; i++)
        {
            Assert.That(buffer.Back, Is.Not.SameAs(shown));
            buffer.Back.Value = i;
            buffer.Publish();
        }
        Assert.That(shown.Value, Is.EqualTo(1), "the consumer's frame is untouched while it holds it");
    }

    [Test]
    public void ConcurrentProducerAndConsumerSeeIncreasingUntornFrames()
    {
        var buffer = new TripleBuffer<Slot>(() => new Slot());
        const int frames = 20000;
        var producer = new Thread(() =>
        {
            for (long i = 1; i <= frames; i++)
            {
                var slot = buffer.Back;
                Array.Fill(slot.Payload, i);
                slot.Value = i;
                buffer.Publish();
            }
        });
        producer.Start();
        long last = 0;
        var torn = 0;
        var decreasing = 0;
        while (last < frames)
        {
            if (!buffer.TryAcquire(out var slot)) continue;
            if (slot.Value <= last) decreasing++;
            foreach (var v in slot.Payload)
                if (v != slot.Value) torn++;
            last = slot.Value;
        }
        producer.Join();

        Assert.That(torn, Is.EqualTo(0));
        Assert.That(decreasing, Is.EqualTo(0));
        Assert.That(buffer.Acquired + buffer.Dropped, Is.EqualTo(frames), "every frame is either shown or dropped");
    }
}
