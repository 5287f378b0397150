import TracerCLI

TracerCommand.main()
