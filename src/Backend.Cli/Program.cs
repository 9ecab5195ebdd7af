System.Console.WriteLine("bkcs");
