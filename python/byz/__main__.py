from byz import main

main()
