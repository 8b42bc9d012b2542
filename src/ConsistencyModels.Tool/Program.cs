Console.WriteLine(ConsistencyModels.TorchInfo.Describe());
