namespace ConsistencyModels.Tool.Tests;

public class ProgramTests
{
    [Test]
    public void MainReturnsTheExitCode()
    {
        var stderr = Console.Error;
        var stdout = Console.Out;
        try
        {
            Console.SetError(TextWriter.Null);
            Console.SetOut(TextWriter.Null);
            Assert.That(Program.Main(["--help"]), Is.EqualTo(ExitCodes.Ok));
            Assert.That(Program.Main(["bench", "--frames", "0"]), Is.EqualTo(ExitCodes.Usage));
        }
        finally
        {
            Console.SetError(stderr);
            Console.SetOut(stdout);
        }
    }
}
